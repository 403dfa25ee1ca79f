"""The raw data's files, and whether they changed since `make data` prepared data/processed.

Training reads data/processed only. Raw data changed afterwards (images added, a table edited, an
older version brought back by `make data-pull`) would go unused while the results row named the
raw data of now: `make data` records a fingerprint of the raw data, and training and evaluation
stop when it no longer matches, before they write anything.
"""

import hashlib
import json
import os
from pathlib import Path

from {{ cookiecutter.package_name }}.errors import UserError


def is_hidden(name: str) -> bool:
    """Hidden and system files and folders: .DS_Store, .ipynb_checkpoints, macOS zip leftovers."""
    return name.startswith(".") or name == "__MACOSX"


def files_under(folder: Path) -> tuple[list[Path], list[Path]]:
    """Every file under folder, following linked folders; and the hidden ones left out.

    Path.rglob does not enter a symlinked folder (Python < 3.13), so a class assembled from links
    would lose images without a word. Each real folder is read once, which also ends a loop (a
    link to a folder above it).
    """
    files, hidden, seen = [], [], set()
    for root, dirs, names in os.walk(folder, followlinks=True):
        real = os.path.realpath(root)
        if real in seen:
            dirs.clear()  # read already (or a loop): do not go in again
            continue
        seen.add(real)
        hidden += [Path(root, name) for name in dirs + names if is_hidden(name)]
        dirs[:] = [name for name in dirs if not is_hidden(name)]  # os.walk descends into these
        files += [Path(root, name) for name in names if not is_hidden(name)]
    return sorted(path for path in files if path.is_file()), sorted(hidden)


def fingerprint(raw: Path) -> str | None:
    """A file's content, or a folder's file names and sizes (hidden files aside: .DS_Store and
    the like change on their own), as one hash; None when there is no raw data here (a machine
    given data/processed alone, as a cluster job may be)."""
    if raw.is_file():
        digest = hashlib.md5()
        with raw.open("rb") as file:
            for chunk in iter(lambda: file.read(1 << 20), b""):
                digest.update(chunk)
        return digest.hexdigest()
    if not raw.is_dir():
        return None
    files, _ = files_under(raw)
    sizes = [(path.relative_to(raw).as_posix(), path.stat().st_size) for path in files]
    return hashlib.md5(json.dumps(sizes).encode()).hexdigest()


def check_prepared_from(raw: Path, recorded: str | None, processed_dir: Path) -> None:
    """Stop when the raw data is not what `make data` prepared `processed_dir` from."""
    now = fingerprint(raw)
    if recorded and now and now != recorded:
        raise UserError(
            f"{processed_dir} was not prepared from what {raw} holds now (it changed since `make "
            "data`, or `make data` read another file or folder): run `make data` again with this "
            "run's data settings (or `make data-pull` to bring back the data it was prepared from)."
        )
