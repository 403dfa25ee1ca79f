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
    choose_features,
    days_since_1970,
    is_number,
)
from {{ cookiecutter.package_name }}.data.datamodule import (
    NewInputs,
    PreparedData,
    RawDataError,
)
from {{ cookiecutter.package_name }}.data.info import TASKS, DataInfo
from {{ cookiecutter.package_name }}.data.splits import stratified_split

log = logging.getLogger(__name__)

# A numeric target is split in this many quantile bins, and each split takes its share of every
# bin: a test set of only average penguins would say little about the heavy ones.
REGRESSION_BINS = 10


PARQUET_SUFFIXES = {".parquet", ".pq"}


def read_table(raw_file: Path, sep: str = ",", decimal: str = ".") -> pd.DataFrame:
    """Read a Parquet file, or a CSV file with this separator and decimal mark (pandas' names)."""
    if not raw_file.exists():
        raise RawDataError(
            f"No table at {raw_file}. Put your CSV or Parquet file there (or set data.raw_file), "
            "or run `make example-data` for the example (or `dvc pull` for data tracked with DVC)."
        )
    try:
        if raw_file.suffix.lower() in PARQUET_SUFFIXES:
            table = pd.read_parquet(raw_file)
        else:
            table = pd.read_csv(raw_file, sep=sep, decimal=decimal)
    except pd.errors.EmptyDataError as error:
        raise RawDataError(
            f"{raw_file} is empty: put your table there, a header line of column names, then "
            "one line per example."
        ) from error
    except (pd.errors.ParserError, UnicodeDecodeError, OSError, ValueError) as error:
        raise RawDataError(f"Cannot read {raw_file} as a table ({error}): fix the file.") from error
    if len(table.columns) == 1 and ";" in str(table.columns[0]) and sep != ";":
        raise RawDataError(
            f"{raw_file} reads as a single column: its values seem separated by ';'. Set "
            "data.preparation.sep=';' (and data.preparation.decimal=',' for decimal commas)."
        )
    if table.empty:
        raise RawDataError(
            f"{raw_file} has column names but no rows: add one line per example below the header."
        )
    return table


def read_labelled_table(raw_file: Path, target: str, sep: str, decimal: str) -> pd.DataFrame:
    """Read the table and check that the target column is there."""
    table = read_table(raw_file, sep, decimal)
    if target not in table.columns:
        raise RawDataError(
            f"The target column {target!r} is not in {raw_file}; its columns are "
            f"{list(table.columns)}. Set data.preparation.target to one of them."
        )
    return table


def make_preprocessor(features: pd.DataFrame, dates: list[str]) -> ColumnTransformer:
    """Fill gaps, then scale numeric columns (dates as days) and one-hot encode the others."""
    numbers = [name for name in features.columns if name not in dates and is_number(features[name])]
    others = [name for name in features.columns if name not in {*dates, *numbers}]
    numeric = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    date = make_pipeline(
        FunctionTransformer(days_since_1970, feature_names_out="one-to-one"),
        SimpleImputer(strategy="median"),
        StandardScaler(),
    )
    categorical = make_pipeline(
        SimpleImputer(strategy="most_frequent"),
        OneHotEncoder(handle_unknown="ignore", sparse_output=False),
    )
    return ColumnTransformer(
        [("numeric", numeric, numbers), ("date", date, dates), ("categorical", categorical, others)]
    )


def class_labels(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Class indices (0, 1, ...) in the order of the sorted class names, and those names."""
    categories = values.astype("category")
    counts = categories.value_counts()
    if counts.min() < 2:  # the stratified split needs two rows of a class at least
        raise RawDataError(
            f"The target {values.name!r} has {len(counts)} distinct values, some in a single row, "
            f"e.g. {counts.idxmin()!r}: too few to learn a class from. To predict a number, set "
            "data.preparation.task=regression."
        )
    class_names = [str(name) for name in categories.cat.categories]
    return categories.cat.codes.to_numpy(dtype=np.int64), class_names


def numeric_target(values: pd.Series) -> np.ndarray:
    """The target as float32 numbers, what a regression model predicts."""
    if not pd.api.types.is_numeric_dtype(values):
        raise RawDataError(
            f"The target {values.name!r} is not numeric (e.g. {values.iloc[0]!r}): regression "
            "predicts a number. To predict a class, set data.preparation.task=classification."
        )
    return values.to_numpy(dtype=np.float32)


class TableData(PreparedData):
    """Predict one column of a CSV or Parquet table from the others.

    `preparation` holds target, task, target_unit, sep, decimal, drop_columns, features,
    val_fraction, test_fraction and split_seed. `name` null: the file's name without suffix.
    """

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
        table = read_labelled_table(self.raw_file, target, settings["sep"], settings["decimal"])
        unlabelled = table[target].isna()
        if unlabelled.any():
            log.warning("Dropping %d rows without a %s value.", unlabelled.sum(), target)
            table = table[~unlabelled].reset_index(drop=True)
        columns, dates = choose_features(
            table, target, settings["drop_columns"], settings["features"]
        )
        features = table[columns]

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
                "feature_names": feature_names,
            },
            extra_files={"preprocessor.pkl": pickle.dumps(preprocessor)},
        )
        return info

    def read_new_inputs(self, path: Path) -> NewInputs:
        """New rows of a table (same format), transformed by the training data's preprocessor.

        A row with text in a numeric column is listed as unusable; a missing value is filled as
        in training.
        """
        settings = self.preparation
        table = read_table(path, settings["sep"], settings["decimal"])
        columns = self.metadata["columns"]
        missing = [name for name in columns if name not in table.columns]
        if missing:
            raise RawDataError(f"{path} lacks the columns {missing}, which the model reads.")
        preprocessor = pickle.loads((self.processed_dir / "preprocessor.pkl").read_bytes())
        features = table[columns].copy()
        names = [f"row {index}" for index in range(len(table))]
        problems = {}
        # The columns read as numbers (none in a table of categories only).
        numeric = next(names for step, _, names in preprocessor.transformers_ if step == "numeric")
        for name in numeric:
            numbers = pd.to_numeric(features[name], errors="coerce")
            for row in np.flatnonzero(numbers.isna() & features[name].notna()):
                problems.setdefault(
                    names[row], f"{name!r} is not a number: {features[name].iloc[row]!r}"
                )
            features[name] = numbers
        usable = torch.tensor([name not in problems for name in names])
        inputs = torch.from_numpy(preprocessor.transform(features).astype(np.float32))
        return NewInputs(names, TensorDataset(inputs, usable), problems)
