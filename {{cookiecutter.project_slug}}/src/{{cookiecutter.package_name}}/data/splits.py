"""Split the examples once into train, validation and test sets, and store them as arrays.

The split has its own seed (`data.split_seed`), apart from the training seed, so every run,
whatever its settings, is tested on exactly the same test examples.
"""

import json
import shutil
import uuid
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split

SPLITS = ("train", "val", "test")


def stratified_split(
    labels: np.ndarray, val_fraction: float, test_fraction: float, seed: int
) -> dict[str, np.ndarray]:
    """Return the row indices of each split; each keeps the class proportions of the whole."""
    all_rows = np.arange(len(labels))
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
    return {"train": np.sort(train), "val": np.sort(val), "test": np.sort(test)}


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
