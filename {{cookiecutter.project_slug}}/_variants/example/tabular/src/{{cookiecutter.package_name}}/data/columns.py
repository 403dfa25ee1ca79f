"""Which columns of a table become features, and what to do with the ones that should not.

Lab exports carry columns that mislead a model: a row ID (sorted by class, as exports often are,
the ID alone predicts the class), free text (one column per distinct sentence once encoded), and
dates (text that is really a number). They are found by looking at the values, and named in one
warning with what was done: IDs and free text are left out unless listed in `data.features`;
dates become numbers (days since 1970-01-01) in every case.
"""

import logging
import warnings

import numpy as np
import pandas as pd

from {{ cookiecutter.package_name }}.data.datamodule import RawDataError

log = logging.getLogger(__name__)

MAX_CATEGORIES = 50  # a text column with more distinct values than this is free text
MIN_ROWS_FOR_ID = 20  # in a tiny table, distinct values everywhere say little
DATE_SHARE = 0.9  # a text column is dates when this share of its values parse as dates


def looks_like_id(values: pd.Series) -> bool:
    """Whole numbers or text with a distinct value in every row (not measurements: floats)."""
    is_integer_or_text = pd.api.types.is_integer_dtype(values) or not is_number(values)
    return (
        is_integer_or_text
        and len(values) >= MIN_ROWS_FOR_ID
        and values.nunique(dropna=False) == len(values)
    )


def looks_like_free_text(values: pd.Series) -> bool:
    """Text of many distinct values, most of them with spaces: notes, comments, descriptions."""
    if is_number(values) or values.nunique() <= MAX_CATEGORIES:
        return False
    return values.dropna().astype(str).str.contains(" ").mean() > 0.5


def is_number(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def parse_dates(values: pd.Series) -> pd.Series:
    """Text as dates (NaT where a value is not one); datetime columns as they are."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values
    with warnings.catch_warnings():  # "could not infer format": fine, each value is parsed alone
        warnings.simplefilter("ignore", UserWarning)
        return pd.to_datetime(values, errors="coerce", format="mixed")


def looks_like_dates(values: pd.Series) -> bool:
    if pd.api.types.is_datetime64_any_dtype(values):
        return True
    present = values.dropna()
    if is_number(values) or present.empty:
        return False
    return parse_dates(present.astype(str)).notna().mean() >= DATE_SHARE


def days_since_1970(frame: pd.DataFrame) -> np.ndarray:
    """Date columns as numbers: days since 1970-01-01 (a missing or unreadable date: NaN).

    Part of the fitted preprocessor (a FunctionTransformer), so new rows are converted the same.
    """
    columns = [parse_dates(frame[name]) for name in frame.columns]
    epoch = pd.Timestamp("1970-01-01")
    days = [(column.dt.tz_localize(None) if column.dt.tz else column) - epoch for column in columns]
    return np.stack([(d.dt.total_seconds() / 86400).to_numpy(dtype=float) for d in days], axis=1)


def choose_features(
    table: pd.DataFrame, target: str, drop: list[str], features: list[str] | None
) -> tuple[list[str], list[str]]:
    """The feature columns and, among them, the date columns; warns about what it left out.

    `features` given: those columns, less `drop`. Otherwise every column but the target and
    `drop`, less the ones that look like row IDs or free text.
    """
    missing = [name for name in [*drop, *(features or [])] if name not in table.columns]
    if missing:
        raise RawDataError(
            f"The columns {missing} of data.preparation.drop_columns or features are not in the "
            f"table; its columns are {list(table.columns)}."
        )
    if features is not None and target in features:
        raise RawDataError(
            f"data.preparation.features lists the target {target!r}: a model given the answer "
            "learns nothing it can use on new data. Remove it from features."
        )
    candidates = [name for name in (features or table.columns) if name not in {target, *drop}]
    left_out, dates = {}, []
    for name in candidates:
        values = table[name]
        if looks_like_dates(values):
            dates.append(name)
        elif features is not None:
            continue  # listed by the user: kept as it is
        elif looks_like_free_text(values):
            left_out[name] = f"free text, {values.nunique()} distinct values"
        elif looks_like_id(values):
            left_out[name] = "a distinct value in every row, like a row ID"
        elif not is_number(values) and values.nunique() > MAX_CATEGORIES:
            left_out[name] = f"{values.nunique()} distinct values, too many to encode"
    if left_out or dates:
        said = [f"left out {name!r} ({why})" for name, why in left_out.items()]
        said += [f"turned the dates of {name!r} into days since 1970-01-01" for name in dates]
        keep = " (list a column in data.preparation.features to keep it)" if left_out else ""
        log.warning("Columns: %s%s.", "; ".join(said), keep)
    return [name for name in candidates if name not in left_out], dates
