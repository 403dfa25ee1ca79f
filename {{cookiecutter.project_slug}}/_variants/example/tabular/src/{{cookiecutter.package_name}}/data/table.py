"""A table: one CSV or Parquet file, one row per example (configs/data/default.yaml).

The target is a class (`task: classification`) or a number (`task: regression`). `make data`
splits the rows into train, validation and test sets, stratified by the target: by class, or by
quantile bins of the number, so that every split spans its whole range. Then missing values are
filled, text columns one-hot encoded and numeric columns scaled, with every statistic (medians,
most frequent values, means, standard deviations) learnt from the training rows only: the test
rows must not leak into what the model sees. The fitted preprocessor is saved beside the arrays,
and `make predict` transforms new rows with it, never fitting it again.

The features are every column but the target, less `drop_columns`, or exactly `features` when
given; columns that look like row IDs, free text or dates are dealt with as columns.py says.
"""

import logging
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler
from torch.utils.data import TensorDataset

from {{ cookiecutter.package_name }}.data.columns import (
    as_numbers,
    as_text,
    choose_features,
    days_since_1970,
    is_number,
    numbers_again,
)
from {{ cookiecutter.package_name }}.data.datamodule import (
    NewInputs,
    PreparedData,
    RawDataError,
)
from {{ cookiecutter.package_name }}.data.info import TASKS, DataInfo, make_args
from {{ cookiecutter.package_name }}.data.splits import stratified_split

log = logging.getLogger(__name__)

# A numeric target is split in this many quantile bins, and each split takes its share of every
# bin: a test set of only average penguins would say little about the heavy ones.
REGRESSION_BINS = 10


PARQUET_SUFFIXES = {".parquet", ".pq"}
SEPARATORS = {";": ";", "\t": "\\t", ",": ",", "|": "|"}  # each as data.preparation.sep sets it


def read_table(
    raw_file: Path,
    sep: str = ",",
    decimal: str = ".",
    thousands: str | None = None,
    text_columns: list[str] | None = None,
) -> pd.DataFrame:
    """Read a Parquet file, or a CSV file with this separator, decimal mark and thousands mark
    (pandas' names); `text_columns` are read as text, as they were in training ("03" stays "03").
    """
    if not raw_file.exists():
        raise RawDataError(
            f"No table at {raw_file}. Put your CSV or Parquet file there (or set data.raw_file), "
            "or run `make example-data` for the example (or `dvc pull` for data tracked with DVC)."
        )
    sep = "\t" if sep in ("\\t", "tab") else sep  # '\t' on the command line arrives as 2 characters
    try:
        if raw_file.suffix.lower() in PARQUET_SUFFIXES:
            table = pd.read_parquet(raw_file)
        else:
            text = dict.fromkeys(text_columns or [], str)
            read = dict(sep=sep, decimal=decimal, thousands=thousands, dtype=text)
            try:
                table = pd.read_csv(raw_file, **read)
            except UnicodeDecodeError:  # not UTF-8: most likely saved by Excel on Windows
                table = pd.read_csv(raw_file, encoding="cp1252", **read)
                log.warning(
                    "%s is not UTF-8: read as Windows-1252, Excel's encoding on Windows; check "
                    "its accents, or save it as UTF-8 (Excel: CSV UTF-8).", raw_file,
                )  # fmt: skip
    except pd.errors.EmptyDataError as error:
        raise RawDataError(
            f"{raw_file} is empty: put your table there, a header line of column names, then "
            "one line per example."
        ) from error
    except (pd.errors.ParserError, UnicodeDecodeError, OSError, ValueError) as error:
        raise RawDataError(f"Cannot read {raw_file} as a table ({error}): fix the file.") from error
    header = str(table.columns[0])
    other = [mark for mark in SEPARATORS if mark != sep and mark in header]
    if len(table.columns) == 1 and other:
        separated = make_args({"sep": SEPARATORS[other[0]]})
        with_commas = make_args({"sep": SEPARATORS[other[0]], "decimal": ","})
        decimal_too = f" (`make data {with_commas}` for decimal commas)" if ";" in other else ""
        raise RawDataError(
            f"{raw_file} reads as a single column: its values seem separated by {other[0]!r}. "
            f"Prepare it with `make data {separated}`{decimal_too}, or set sep in the data config."
        )
    if table.empty:
        raise RawDataError(
            f"{raw_file} has column names but no rows: add one line per example below the header."
        )
    return numpy_missing_values(table)


def numpy_missing_values(table: pd.DataFrame) -> pd.DataFrame:
    """Columns of pandas' nullable types (Int64, boolean, string: `df.convert_dtypes()`, often in
    Parquet files) with NaN for a missing value instead of pd.NA, which scikit-learn cannot take."""
    for name, values in table.items():
        if getattr(values.dtype, "na_value", None) is not pd.NA:
            continue
        if is_number(values) and not values.hasnans:
            table[name] = values.to_numpy(dtype=values.dtype.numpy_dtype)  # whole numbers stay so
        elif is_number(values):
            table[name] = values.to_numpy(dtype=float, na_value=np.nan)
        else:
            table[name] = values.astype(object).where(values.notna(), np.nan)
    return table


def read_labelled_table(raw_file: Path, target: str, settings: dict) -> pd.DataFrame:
    """Read the table and check that the target column is there, with values."""
    table = read_table(raw_file, settings["sep"], settings["decimal"], settings.get("thousands"))
    if target not in table.columns:
        raise RawDataError(
            f"The target column {target!r} is not in {raw_file}; its columns are "
            f"{list(table.columns)}. Set data.preparation.target to one of them."
        )
    if table[target].isna().all():
        raise RawDataError(
            f"The target column {target!r} of {raw_file} is empty in every row: there is nothing "
            "to learn. Fill it in, or set data.preparation.target to the column to predict."
        )
    return table


def make_preprocessor(features: pd.DataFrame, dates: dict[str, str]) -> ColumnTransformer:
    """Fill gaps, then scale numeric columns (dates as days) and one-hot encode the others."""
    numbers = [name for name in features.columns if name not in dates and is_number(features[name])]
    others = [name for name in features.columns if name not in {*dates, *numbers}]
    numeric = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    month_first = [name for name, order in dates.items() if order == "month first"]
    date = make_pipeline(
        FunctionTransformer(
            days_since_1970, kw_args={"month_first": month_first}, feature_names_out="one-to-one"
        ),
        SimpleImputer(strategy="median"),
        StandardScaler(),
    )
    categorical = make_pipeline(
        FunctionTransformer(as_text, feature_names_out="one-to-one"),  # 3 and "3": one category
        SimpleImputer(strategy="most_frequent"),
        OneHotEncoder(handle_unknown="ignore", sparse_output=False),
    )
    return ColumnTransformer(
        [
            ("numeric", numeric, numbers),
            ("date", date, list(dates)),
            ("categorical", categorical, others),
        ]
    )


def plain(value: object) -> str:
    """A value as the table shows it: -2.907, not np.float64(-2.907)."""
    return repr(str(value.item() if isinstance(value, np.generic) else value))


def row_names(table: pd.DataFrame, id_column: str | None) -> list[str]:
    """How predictions.csv names each new row: by the ID column the training table had (a
    patient, a sample), when the new table has it with a distinct value in every row; otherwise
    by its number as pandas counts them (`row 0` is the first row under the header)."""
    if id_column in table.columns:
        ids = table[id_column]
        if ids.notna().all() and ids.is_unique:
            return [f"{id_column} {value}" for value in ids]
        log.warning("%r repeats or lacks values here: rows are named by number instead.", id_column)
    return [f"row {index}" for index in range(len(table))]


def class_labels(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Class indices (0, 1, ...) in the order of the sorted class names, and those names."""
    categories = values.astype("category")
    counts = categories.value_counts()
    if counts.min() < 2:  # the stratified split needs two rows of a class at least
        raise RawDataError(
            f"The target {values.name!r} has {len(counts)} distinct values, some in a single row, "
            f"e.g. {plain(counts.idxmin())}: too few to learn a class from. To predict a number, "
            "set data.preparation.task=regression."
        )
    class_names = [str(name) for name in categories.cat.categories]
    return categories.cat.codes.to_numpy(dtype=np.int64), class_names


def numeric_target(values: pd.Series) -> np.ndarray:
    """The target as float32 numbers, what a regression model predicts."""
    if not is_number(values):
        text = values[pd.to_numeric(values, errors="coerce").isna()]  # rows without a number
        example = text.iloc[0] if len(text) else values.iloc[0]  # or true/false values
        raise RawDataError(
            f"The target {values.name!r} is not numeric (e.g. {plain(example)}): regression "
            "predicts a number. To predict a class, set data.preparation.task=classification."
        )
    return values.to_numpy(dtype=np.float32)


def warn_of_rare_classes(
    targets: np.ndarray, rows: dict[str, np.ndarray], class_names: list[str]
) -> None:
    """Warn of classes absent from the validation or test split: their scores cannot be measured
    there, and the test accuracy says nothing about them."""
    counts = {
        split: np.bincount(targets[i], minlength=len(class_names)) for split, i in rows.items()
    }
    for label, name in enumerate(class_names):
        if counts["val"][label] == 0 or counts["test"][label] == 0:
            log.warning(
                "The class %r has %d rows: %d for training, %d for validation and %d for "
                "testing, so it is not measured in every split. Add examples of it, or remove it.",
                name, sum(c[label] for c in counts.values()), counts["train"][label],
                counts["val"][label], counts["test"][label],
            )  # fmt: skip


class TableData(PreparedData):
    """Predict one column of a CSV or Parquet table from the others.

    `preparation` holds target, task, target_unit, sep, decimal, thousands, drop_columns,
    features, val_fraction, test_fraction and split_seed. `name` null: the file's name without
    suffix.
    """

    raw_setting = "raw_file"

    def __init__(
        self,
        name: str | None,
        raw_file: str,
        processed_dir: str,
        preparation: dict,
        batch_size: int | None = None,
        num_workers: int = 0,
    ) -> None:
        super().__init__(
            name or Path(raw_file).stem, processed_dir, preparation, batch_size, num_workers
        )
        self.raw_file = Path(raw_file)

    def prepare(self) -> DataInfo:
        """Split the table, fit the preprocessor on the training rows, write the arrays."""
        settings = self.preparation
        target, task = settings["target"], settings["task"]
        if task not in TASKS:
            raise RawDataError(
                f"data.preparation.task is {task!r}: set it to one of {list(TASKS)}."
            )
        table = read_labelled_table(self.raw_file, target, settings)
        unlabelled = table[target].isna()
        if unlabelled.any():
            log.warning("Dropping %d rows without a %s value.", unlabelled.sum(), target)
            table = numbers_again(table[~unlabelled].reset_index(drop=True), settings["decimal"])
        columns, dates, ids = choose_features(
            table, target, settings["drop_columns"], settings["features"], settings["decimal"]
        )
        features = table[columns]
        if features.isna().all().all():  # no columns, or only empty ones
            raise RawDataError(
                f"No column of {self.raw_file} is left to predict {target!r} from (columns "
                f"{list(table.columns)}; see the warning above for those left out, and the empty "
                "ones). Add columns of measurements, or list the ones to use in "
                "data.preparation.features."
            )

        source = f"The column {target!r} of {self.raw_file}"  # for error messages
        fractions = (settings["val_fraction"], settings["test_fraction"], settings["split_seed"])
        if task == "regression":
            targets = numeric_target(table[target])
            bins = pd.qcut(targets, REGRESSION_BINS, labels=False, duplicates="drop")
            rows = stratified_split(bins, *fractions, source=source)
            # The model learns the standardised target: mean and std of the training rows only.
            train_targets = targets[rows["train"]]
            about_target = {
                "target_mean": float(train_targets.mean(dtype=np.float64)),
                "target_std": float(train_targets.std(dtype=np.float64)),
                "target_unit": settings["target_unit"],
            }
        else:
            targets, class_names = class_labels(table[target])
            rows = stratified_split(targets, *fractions, class_names=class_names, source=source)
            warn_of_rare_classes(targets, rows, class_names)
            about_target = {"class_names": class_names}

        preprocessor = make_preprocessor(features, dates)
        preprocessor.fit(features.iloc[rows["train"]])  # training rows only
        arrays = {
            split: (preprocessor.transform(features.iloc[index]).astype(np.float32), targets[index])
            for split, index in rows.items()
        }
        feature_names = [str(name) for name in preprocessor.get_feature_names_out()]
        info = self.make_info(
            input_shape=[arrays["train"][0].shape[1]],  # [number of features after encoding]
            task=task,
            target=target,
            input_names=feature_names,
            **about_target,
        )
        self.write_splits(
            arrays,
            info,
            extra_metadata={
                "columns": columns,  # what the model reads, in the raw table
                "id_column": next(iter(ids), None),  # names the rows of `make predict`
                "feature_names": feature_names,
            },
            extra_files={"preprocessor.pkl": pickle.dumps(preprocessor)},
        )
        return info

    def read_new_inputs(self, path: Path) -> NewInputs:
        """New rows of a table (same format), transformed by the training data's preprocessor.

        A row with text in a numeric column is listed as unusable; a missing value is filled as
        in training. A category the training rows did not have, or a date that cannot be read,
        is noted in the row's `problem` column and logged, and the row predicted all the same:
        the category encoded as none of the known ones, the date filled as a missing one.
        """
        if not path.is_file():
            raise RawDataError(
                f"No table at {path}: give INPUT=<a CSV or Parquet file of new rows>, with the "
                "columns of the training table."
            )
        settings = self.preparation
        preprocessor = pickle.loads((self.processed_dir / "preprocessor.pkl").read_bytes())
        kinds = {kind: list(names) for kind, _, names in preprocessor.transformers_}
        table = read_table(
            path,
            settings["sep"],
            settings["decimal"],
            settings.get("thousands"),
            text_columns=kinds["categorical"],  # as in training: ward 3 stays "3", not 3.0
        )
        columns = self.metadata["columns"]
        missing = [name for name in columns if name not in table.columns]
        if missing:
            raise RawDataError(f"{path} lacks the columns {missing}, which the model reads.")
        features = table[columns].copy()
        names = row_names(table, self.metadata.get("id_column"))
        unusable, notes = {}, {}  # row name: why it cannot be predicted / what was guessed
        for name in kinds["numeric"]:
            numbers = as_numbers(features[name], settings["decimal"], settings.get("thousands"))
            for row in np.flatnonzero(numbers.isna() & features[name].notna()):
                value = features[name].iloc[row]
                unusable.setdefault(names[row], f"{name!r} is not a number: {value!r}")
            features[name] = numbers
        encoder = preprocessor.named_transformers_["categorical"][-1]
        for name, known in zip(kinds["categorical"], encoder.categories_, strict=True):
            values = as_text(features[[name]])[name]
            for row in np.flatnonzero(values.notna() & ~values.isin(known)):
                notes.setdefault(names[row], []).append(
                    f"{name!r}: {values.iloc[row]!r} was in no training row (encoded as none)"
                )
        if kinds["date"]:  # read as in training: the preprocessor's own first step
            days = preprocessor.named_transformers_["date"][0].transform(features[kinds["date"]])
            unread = np.isnan(days) & features[kinds["date"]].notna().to_numpy()
            for row, column in zip(*np.nonzero(unread), strict=True):
                value = features[kinds["date"][column]].iloc[row]
                notes.setdefault(names[row], []).append(
                    f"{kinds['date'][column]!r}: {value!r} is not a date (filled as if missing)"
                )
        if notes:
            log.warning(
                "%d rows hold values the model cannot read, and are predicted all the same (see "
                "the `problem` column): %s",
                len(notes),
                "; ".join(f"{row}: {', '.join(said)}" for row, said in list(notes.items())[:5]),
            )
        problems = {
            name: unusable.get(name) or "predicted, but " + "; ".join(notes[name])
            for name in names
            if name in unusable or name in notes
        }
        usable = torch.tensor([name not in unusable for name in names])
        inputs = torch.from_numpy(preprocessor.transform(features).astype(np.float32))
        return NewInputs(names, TensorDataset(inputs, usable), problems)
