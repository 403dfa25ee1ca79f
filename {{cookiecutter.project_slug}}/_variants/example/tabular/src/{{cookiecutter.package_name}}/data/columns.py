"""Which columns of a table become features, and what to do with the ones that should not.

Lab exports carry columns that mislead a model: a row ID (sorted by class, as exports often are,
the ID alone predicts the class), free text (one column per distinct sentence once encoded),
numbers spoilt by a few text values ('<0.5', a 'Total' row: pandas then reads the whole column as
text), and dates (text that is really a number). They are found by looking at the values, and
named in one warning with what was done: IDs, free text, spoilt numbers and dates that read both
day first and month first are left out unless listed in `data.preparation.features`; the other
dates become numbers (days since 1970-01-01) in every case.
"""

import logging
import re

import numpy as np
import pandas as pd

from {{ cookiecutter.package_name }}.data.datamodule import RawDataError
from {{ cookiecutter.package_name }}.data.info import make_args

log = logging.getLogger(__name__)

MAX_CATEGORIES = 50  # a text column with more distinct values than this is free text
MIN_ROWS_FOR_ID = 20  # in a tiny table, distinct values everywhere say little
DATE_SHARE = 0.9  # a text column is dates when this share of its values parse as dates
NUMBER_SHARE = 0.9  # and numbers spoilt by a few values when this share parse as numbers,
MAX_CODES = 10  # with more distinct numbers than this (fewer are codes: wards 3, 4 and ICU)
LIKE_AN_ID = "a distinct value in every row, like a row ID"  # such a column names predicted rows


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


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Category values as strings, missing ones NaN: the ward "3" of one file matches the 3 that
    pandas reads from another, and scikit-learn never meets pandas' pd.NA.

    Part of the fitted preprocessor (a FunctionTransformer), so new rows are converted the same.
    """
    return frame.astype(object).where(frame.notna(), np.nan).map(str, na_action="ignore")


def as_numbers(values: pd.Series, decimal: str = ".", thousands: str | None = None) -> pd.Series:
    """Numbers, NaN where a value is not one; text read with these marks ("8.003,7")."""
    if is_number(values):
        return values
    text = values.astype(str).str.strip()
    if thousands:
        text = text.str.replace(thousands, "")
    return pd.to_numeric(text.str.replace(decimal, "."), errors="coerce")


def numbers_again(table: pd.DataFrame, decimal: str) -> pd.DataFrame:
    """Text columns whose values are all numbers, as numbers. pandas reads a column as text when
    one value is not a number, e.g. in a 'Total' row, dropped since for having no target."""
    for name, values in table.items():
        numbers = as_numbers(values, decimal)
        if not is_number(values) and numbers.notna().sum() == values.notna().sum() > 0:
            table[name] = numbers
    return table


def not_quite_numbers(values: pd.Series, decimal: str) -> str | None:
    """Why a text column looks like numbers that pandas could not read ('<0.5', a 'Total' row,
    thousands separators as in '8.003,7'), and what to do; None if it does not look like numbers.
    A handful of distinct numbers are codes (wards 3, 4 and ICU), not measurements."""
    text = values.dropna().astype(str).str.strip()
    separator = "." if decimal == "," else ","  # between thousands
    # 8.003,7: one to three digits, then groups of three after each separator (no f-string:
    # this file is a template, and Jinja would read doubled braces).
    thousands = r"[+-]?\d{1,3}(?:" + re.escape(separator) + r"\d{3})+"
    grouped = text.str.fullmatch(thousands + "(?:" + re.escape(decimal) + r"\d*)?")
    numbers = as_numbers(text.where(~grouped, text.str.replace(separator, "")), decimal)
    if numbers.nunique() <= MAX_CODES or numbers.notna().mean() < NUMBER_SHARE:
        commas = as_numbers(text, decimal=",")  # 122,5 in a table read with decimal points
        if decimal == "," or commas.nunique() <= MAX_CODES or commas.notna().mean() < NUMBER_SHARE:
            return None
        example, command = text[commas.notna()].iloc[0], make_args({"decimal": ","})
        return f"numbers with decimal commas, e.g. {example!r}: `make data {command}` reads them"
    said = []
    if grouped.any():
        command = make_args({"thousands": separator})
        said.append(
            f"numbers with {separator!r} between thousands, e.g. {text[grouped].iloc[0]!r}: "
            f"`make data {command}` reads them"
        )
    if numbers.isna().any():
        examples = ", ".join(repr(value) for value in text[numbers.isna()].unique()[:3])
        said.append(
            f"mostly numbers, but {numbers.isna().sum()} values are not, e.g. {examples}: make "
            "them numbers, or empty (a missing value is filled), to use it"
        )
    return "; ".join(said)


# A value is a date only when it is a whole date in one of these forms (codes such as T1 or 2-3
# are not): ISO 2016-02-01, European 01.02.2016 (always day first) and 01/02/2016, which is day
# first in Europe and month first in the US: the column's values must tell which.
TIME = r"(?: \d{1,2}:\d{2}(?::\d{2})?)?"
ISO_DATE = r"\d{4}-\d{1,2}-\d{1,2}(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
ISO_DATE += r"(?:Z|[+-]\d{2}:?\d{2})?"  # a time zone
DOTTED_DATE = r"\d{1,2}\.\d{1,2}\.\d{4}" + TIME
SLASHED_DATE = r"(\d{1,2})/(\d{1,2})/\d{4}" + TIME


def parse_dates(values: pd.Series, slashes_day_first: bool = True) -> pd.Series:
    """Dates in the forms above (NaT where a value is not one); datetime columns as they are."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values
    text = values.astype("string").str.strip()
    dates = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    forms = [
        (ISO_DATE, {"format": "ISO8601", "utc": True}),  # UTC: one time zone for all values
        (DOTTED_DATE, {"format": "mixed", "dayfirst": True}),
        (SLASHED_DATE, {"format": "mixed", "dayfirst": slashes_day_first}),
    ]
    for pattern, how in forms:
        matches = text.str.fullmatch(pattern).fillna(False).astype(bool)
        if matches.any():
            parsed = pd.to_datetime(text[matches], errors="coerce", **how)
            dates[matches] = (parsed.dt.tz_localize(None) if parsed.dt.tz else parsed).to_numpy()
    return dates


def date_order(values: pd.Series) -> str | None:
    """Whether a column holds dates: "day first" or "month first" (how 01/02/2016 is read),
    "either" when its d/m/yyyy dates read both ways, None when it is not dates."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return "day first"
    present = values.dropna()
    if is_number(values) or present.empty:
        return None
    text = present.astype(str).str.strip()
    parts = text.str.extract(f"^{SLASHED_DATE}$").iloc[:, :2].astype(float)
    day_first, month_first = (parts[0] > 12).any(), (parts[1] > 12).any()
    order = "month first" if month_first and not day_first else "day first"
    if parse_dates(text, order == "day first").notna().mean() < DATE_SHARE:
        return None
    return "either" if parts[0].notna().any() and not (day_first or month_first) else order


def days_since_1970(frame: pd.DataFrame, month_first: list[str] | None = None) -> np.ndarray:
    """Date columns as numbers: days since 1970-01-01 (a missing or unreadable date: NaN).

    `month_first`: the columns whose 01/02/2016 is 2 January. Part of the fitted preprocessor (a
    FunctionTransformer), so new rows are converted the same.
    """
    columns = [parse_dates(frame[name], name not in (month_first or [])) for name in frame.columns]
    epoch = pd.Timestamp("1970-01-01")
    days = [(column.dt.tz_localize(None) if column.dt.tz else column) - epoch for column in columns]
    return np.stack([(d.dt.total_seconds() / 86400).to_numpy(dtype=float) for d in days], axis=1)


def choose_features(
    table: pd.DataFrame,
    target: str,
    drop: list[str],
    features: list[str] | None,
    decimal: str = ".",
) -> tuple[list[str], dict[str, str], list[str]]:
    """The feature columns, among them the date columns with their order (see date_order), and
    the columns left out as row IDs (they name the rows of predictions); warns about what it left
    out.

    `features` given: those columns, less `drop`. Otherwise every column but the target and
    `drop`, less the ones that look like row IDs, free text, spoilt numbers or ambiguous dates.
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
    left_out, dates = {}, {}
    for name in candidates:
        values = table[name]
        order = date_order(values)
        if order in ("day first", "month first"):
            dates[name] = order
        elif features is not None:
            continue  # listed by the user: kept as it is
        elif values.isna().all():
            left_out[name] = "empty in every row"
        elif order == "either":
            example = values.dropna().iloc[0]
            left_out[name] = (
                f"dates like {example!r} read day first or month first: write them as "
                "yyyy-mm-dd to use them"
            )
        elif not is_number(values) and (why := not_quite_numbers(values, decimal)):
            left_out[name] = why  # before the ID test: distinct numbers with one 'Total'
        elif looks_like_free_text(values):
            left_out[name] = f"free text, {values.nunique()} distinct values"
        elif looks_like_id(values):
            left_out[name] = LIKE_AN_ID
        elif not is_number(values) and values.nunique() > MAX_CATEGORIES:
            left_out[name] = f"{values.nunique()} distinct values, too many to encode"
    if left_out or dates:
        said = [f"left out {name!r} ({why})" for name, why in left_out.items()]
        said += [
            f"turned the dates of {name!r} into days since 1970-01-01"
            + (" (01/02/2016 read as 2 January)" if order == "month first" else "")
            for name, order in dates.items()
        ]
        keep = " (list a column in data.preparation.features to keep it)" if left_out else ""
        log.warning("Columns: %s%s.", "; ".join(said), keep)
    ids = [name for name, why in left_out.items() if why == LIKE_AN_ID]
    return [name for name in candidates if name not in left_out], dates, ids
