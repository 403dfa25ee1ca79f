"""Split the examples once into train, validation and test sets, and store them as arrays.

The split has its own seed (`data.split_seed`), apart from the training seed, so every run,
whatever its settings, is tested on exactly the same test examples.
"""

import json
import math
import shutil
import uuid
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split

from {{ cookiecutter.package_name }}.errors import UserError

SPLITS = ("train", "val", "test")


class SplitError(UserError):
    """The data cannot be split as asked; the message names the class and what to do."""


def stratified_split(
    labels: np.ndarray,
    val_fraction: float,
    test_fraction: float,
    seed: int,
    class_names: list[str] | None = None,
    source: str = "the data",
) -> dict[str, np.ndarray]:
    """Return the row indices of each split; each keeps the class proportions of the whole.

    `labels` are class indices (into `class_names`, for classes) or bins of a number (without
    `class_names`); `source` (a folder, a file's column) names the data in error messages.
    """
    if min(val_fraction, test_fraction) <= 0 or val_fraction + test_fraction >= 1:
        raise SplitError(
            f"data.preparation.val_fraction={val_fraction} and test_fraction={test_fraction} "
            "cannot split the data: each must be above 0 and together below 1, e.g. 0.15 and 0.15."
        )
    present = np.unique(labels)
    if class_names is not None and len(present) < 2:
        raise SplitError(
            f"{source} holds one class only ({class_names[present[0]]!r}): a classifier needs two "
            "or more, so add examples of the other classes."
        )
    all_rows = np.arange(len(labels))
    try:
        train_val, test = train_test_split(
            all_rows, test_size=test_fraction, random_state=seed, stratify=labels
        )
        # The validation share is taken from what is left once the test set is out.
        train, val = train_test_split(
            train_val,
            test_size=val_fraction / (1 - test_fraction),
            random_state=seed,
            stratify=labels[train_val],
        )
    except ValueError as error:  # scikit-learn: "The least populated class in y has only 1 member"
        raise too_few_examples(labels, val_fraction, test_fraction, class_names, source) from error
    return {"train": np.sort(train), "val": np.sort(val), "test": np.sort(test)}


def too_few_examples(
    labels: np.ndarray,
    val_fraction: float,
    test_fraction: float,
    class_names: list[str] | None,
    source: str,
) -> SplitError:
    """The error for classes too small to have examples in each of the three splits."""
    counts = np.bincount(labels)
    smallest = int(np.argmin(np.where(counts > 0, counts, counts.max() + 1)))
    what = f"class {class_names[smallest]!r}" if class_names else f"value range {smallest + 1}"
    # Enough that every split gets about one example of each class.
    needed = max(3, math.ceil(1 / min(val_fraction, test_fraction)))
    return SplitError(
        f"{source} has too few examples to put some of each class in the train, validation and "
        f"test splits: {what} has {counts[smallest]}. Give each class {needed} or more (with "
        f"val_fraction={val_fraction}, test_fraction={test_fraction}), or remove it."
    )


def write_processed(
    processed_dir: Path,
    arrays: dict[str, tuple[np.ndarray, np.ndarray]],
    metadata: dict,
    extra_files: dict[str, bytes] | None = None,
) -> None:
    """Write <split>.npz (inputs `x`, labels `y`), metadata.json and any extra files, replacing
    the folder whole.

    Everything is written to a temporary folder first, so an interrupted run never leaves a mix of
    old and new files behind. That folder is made with a plain mkdir, which follows the user's
    umask (tempfile.mkdtemp would make it readable by its owner only, and others in the group
    could not read the data on a shared machine).
    """
    processed_dir = Path(processed_dir)
    processed_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = processed_dir.parent / f".processed-{uuid.uuid4().hex}"  # unique: no clash
    staging.mkdir()
    for split, (inputs, labels) in arrays.items():
        np.savez(staging / f"{split}.npz", x=inputs, y=labels)
    (staging / "metadata.json").write_text(json.dumps(metadata, indent=2) + "\n")
    for name, content in (extra_files or {}).items():
        (staging / name).write_bytes(content)
    if processed_dir.exists():
        shutil.rmtree(processed_dir)
    staging.rename(processed_dir)
