"""Split the examples once into train, validation and test sets, and store them as arrays.

The split has its own seed (`data.split_seed`), apart from the training seed, so every run,
whatever its settings, is tested on exactly the same test examples.

Each split is stored as two `.npy` files, <split>_x.npy (inputs) and <split>_y.npy (targets):
numpy's own format, a short header and then the raw values. Training opens them memory-mapped
(`np.load(..., mmap_mode="r")`), so it reads only the rows of each batch from disk, and a dataset
larger than the memory trains as well as a small one. `SplitWriter` writes them a chunk at a time,
so preparing them needs no more memory than one chunk either.
"""

import hashlib
import json
import math
import os
import shutil
import socket
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
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32:
        raise SplitError(  # scikit-learn's words for these: a wrong class count, or a TypeError
            f"data.preparation.split_seed={seed!r} cannot seed the split: use a whole number from "
            "0 to 4294967295, e.g. 0."
        )
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


def split_files(processed_dir: Path, split: str) -> tuple[Path, Path]:
    """The inputs and targets files of a split: <split>_x.npy and <split>_y.npy."""
    return Path(processed_dir) / f"{split}_x.npy", Path(processed_dir) / f"{split}_y.npy"


def open_split(processed_dir: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """A split's inputs and targets, memory-mapped: nothing is read until a row is used."""
    inputs, targets = split_files(processed_dir, split)
    return np.load(inputs, mmap_mode="r"), np.load(targets, mmap_mode="r")


def split_md5(processed_dir: Path, split: str) -> str:
    """One MD5 of a split's two files, read in blocks: the same split always has the same value."""
    digest = hashlib.md5()
    for path in split_files(processed_dir, split):
        with open(path, "rb") as file:
            while block := file.read(1 << 20):
                digest.update(block)
    return digest.hexdigest()


class NpyWriter:
    """Write one .npy file of a known shape a chunk of rows at a time, in bounded memory.

    The header (dtype and shape) comes first, then each chunk's bytes are appended in order.
    Plain file writes, not a writable memory map: written pages go to the operating system's
    cache, not into this process's memory.
    """

    def __init__(self, path: Path, shape: tuple[int, ...], dtype: np.dtype | str) -> None:
        self.path, self.shape, self.dtype = Path(path), tuple(shape), np.dtype(dtype)
        self.rows_written = 0
        self.file = open(self.path, "wb")  # noqa: SIM115 (closed by close())
        header = {
            "descr": np.lib.format.dtype_to_descr(self.dtype),
            "fortran_order": False,
            "shape": self.shape,
        }
        np.lib.format.write_array_header_2_0(self.file, header)

    def append(self, rows: np.ndarray) -> None:
        if rows.shape[1:] != self.shape[1:]:
            raise ValueError(
                f"{self.path.name}: rows of shape {rows.shape[1:]}, not {self.shape[1:]}"
            )
        self.file.write(np.ascontiguousarray(rows, dtype=self.dtype).tobytes())
        self.rows_written += len(rows)

    def close(self) -> None:
        self.file.close()
        if self.rows_written != self.shape[0]:
            raise ValueError(
                f"{self.path.name}: {self.rows_written} rows written, not {self.shape[0]}"
            )


STAGING_PREFIX = ".processed-"  # data/.processed-<machine>-<process>-<random>: being written


def remove_abandoned_staging(parent: Path) -> None:
    """Delete the staging folders that a `make data` killed on this machine (kill -9, a power
    cut) left behind: their process is gone. Another machine's (a shared disk) are left alone."""
    for folder in parent.glob(f"{STAGING_PREFIX}{socket.gethostname()}-*"):
        pid = folder.name.rsplit("-", 2)[-2]
        if pid.isdigit() and not process_is_running(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def process_is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, and belongs to someone else
        return True
    return True


class ProcessedWriter:
    """Write data/processed whole: split files, metadata.json, extra files; replace it at the end.

    Everything is written to a temporary folder beside it first, so an interrupted run never
    leaves a mix of old and new files behind. Use it as a context manager:

        with ProcessedWriter(processed_dir) as out:
            writer = out.writer("train_x", shape=(n, 3, 64, 64), dtype=np.uint8)
            writer.append(chunk)  # as many chunks as make up n rows
            out.write_array("train_y", labels)
            ...
            out.finish(metadata)
    """

    def __init__(self, processed_dir: Path) -> None:
        self.processed_dir = Path(processed_dir)
        self.processed_dir.parent.mkdir(parents=True, exist_ok=True)
        # A plain mkdir follows the user's umask (tempfile.mkdtemp would make the folder readable
        # by its owner only, and others in the group could not read the data on a shared machine).
        remove_abandoned_staging(self.processed_dir.parent)
        # Named after this machine and process, so that a later run can tell it was abandoned.
        name = f"{STAGING_PREFIX}{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.staging = self.processed_dir.parent / name
        self.staging.mkdir()
        self.writers: list[NpyWriter] = []

    def __enter__(self) -> "ProcessedWriter":
        return self

    def __exit__(self, *error: object) -> None:
        for writer in self.writers:
            writer.file.close()
        if self.staging.exists():  # finish() was not reached: leave data/processed as it was
            shutil.rmtree(self.staging)

    def writer(self, name: str, shape: tuple[int, ...], dtype: np.dtype | str) -> NpyWriter:
        """A writer for <name>.npy, e.g. "train_x" (see split_files)."""
        self.writers.append(NpyWriter(self.staging / f"{name}.npy", shape, dtype))
        return self.writers[-1]

    def write_array(self, name: str, values: np.ndarray) -> None:
        """Write a whole array that is in memory already (e.g. the targets) as <name>.npy."""
        np.save(self.staging / f"{name}.npy", values)

    def finish(self, metadata: dict, extra_files: dict[str, bytes] | None = None) -> None:
        """Check every writer is complete, add metadata.json, and put the folder in place."""
        for writer in self.writers:
            writer.close()
        (self.staging / "metadata.json").write_text(json.dumps(metadata, indent=2) + "\n")
        for name, content in (extra_files or {}).items():
            (self.staging / name).write_bytes(content)
        if self.processed_dir.exists():
            shutil.rmtree(self.processed_dir)
        self.staging.rename(self.processed_dir)


def write_processed(
    processed_dir: Path,
    arrays: dict[str, tuple[np.ndarray, np.ndarray]],
    metadata: dict,
    extra_files: dict[str, bytes] | None = None,
) -> None:
    """Write arrays that fit in memory (a table): <split>_x.npy, <split>_y.npy, metadata.json."""
    with ProcessedWriter(processed_dir) as out:
        for split, (inputs, targets) in arrays.items():
            out.write_array(f"{split}_x", inputs)
            out.write_array(f"{split}_y", targets)
        out.finish(metadata, extra_files)
