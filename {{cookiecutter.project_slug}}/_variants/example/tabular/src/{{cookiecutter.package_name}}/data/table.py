"""A table: one CSV file, one row per example (configs/data/default.yaml).

The target is a class (`task: classification`) or a number (`task: regression`). `make data`
splits the rows into train, validation and test sets, stratified by the target: by class, or by
quantile bins of the number, so that every split spans its whole range. Then missing values are
filled, text columns one-hot encoded and numeric columns scaled, with every statistic (medians,
most frequent values, means, standard deviations) learnt from the training rows only: the test
rows must not leak into what the model sees. The fitted preprocessor is saved beside the arrays,
to transform new rows the same way later.
"""

import logging
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from {{ cookiecutter.package_name }}.data.datamodule import PreparedData, RawDataError
from {{ cookiecutter.package_name }}.data.info import TASKS, DataInfo
from {{ cookiecutter.package_name }}.data.splits import stratified_split

log = logging.getLogger(__name__)

# A numeric target is split in this many quantile bins, and each split takes its share of every
# bin: a test set of only average penguins would say little about the heavy ones.
REGRESSION_BINS = 10


def read_table(raw_file: Path, target: str) -> pd.DataFrame:
    """Read the CSV file and check that the target column is there."""
    if not raw_file.exists():
        raise RawDataError(
            f"No table at {raw_file}. Put your CSV file there (or set data.raw_file), or run "
            "`make example-data` for the example (or `dvc pull` for data tracked with DVC)."
        )
    try:
        table = pd.read_csv(raw_file)
    except pd.errors.EmptyDataError as error:
        raise RawDataError(
            f"{raw_file} is empty: put your table there, a header line of column names, then "
            "one line per example."
        ) from error
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        raise RawDataError(f"Cannot read {raw_file} as CSV ({error}): fix the file.") from error
    if table.empty:
        raise RawDataError(
            f"{raw_file} has column names but no rows: add one line per example below the header."
        )
    if target not in table.columns:
        raise RawDataError(
            f"The target column {target!r} is not in {raw_file}; its columns are "
            f"{list(table.columns)}. Set data.preparation.target to one of them."
        )
    return table


def make_preprocessor() -> ColumnTransformer:
    """Fill gaps, then scale numeric columns and one-hot encode the others."""
    numeric = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    categorical = make_pipeline(
        SimpleImputer(strategy="most_frequent"),
        OneHotEncoder(handle_unknown="ignore", sparse_output=False),
    )
    return ColumnTransformer(
        [
            ("numeric", numeric, make_column_selector(dtype_include="number")),
            ("categorical", categorical, make_column_selector(dtype_exclude="number")),
        ]
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
    """Predict one column of a CSV table from the others.

    `preparation` holds target, task, target_unit, drop_columns, val_fraction, test_fraction and
    split_seed.
    """

    def __init__(
        self,
        name: str,
        raw_file: str,
        processed_dir: str,
        preparation: dict,
        batch_size: int = 32,
        num_workers: int = 0,
        shuffle_seed: int = 0,
    ) -> None:
        super().__init__(name, processed_dir, preparation, batch_size, num_workers, shuffle_seed)
        self.raw_file = Path(raw_file)

    def prepare(self) -> DataInfo:
        """Split the table, fit the preprocessor on the training rows, write the arrays."""
        settings = self.preparation
        target, task = settings["target"], settings["task"]
        if task not in TASKS:
            raise RawDataError(
                f"data.preparation.task is {task!r}: set it to one of {list(TASKS)}."
            )
        table = read_table(self.raw_file, target)
        unlabelled = table[target].isna()
        if unlabelled.any():
            log.warning("Dropping %d rows without a %s value.", unlabelled.sum(), target)
            table = table[~unlabelled].reset_index(drop=True)
        features = table.drop(columns=[target, *settings["drop_columns"]])

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

        preprocessor = make_preprocessor().fit(features.iloc[rows["train"]])  # training rows only
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
            extra_metadata={"feature_names": feature_names},
            extra_files={"preprocessor.pkl": pickle.dumps(preprocessor)},
        )
        return info
