"""Delete the run folders, outputs/ and multirun/ (`make clean-runs`), after saying what is in them.

`make clean` deletes caches only. Run folders hold what cannot be made again without training
again: the checkpoints that rows of results/results.csv point at, and W&B runs logged offline
and never uploaded. So this lists those first, and deletes only after you answer "y", or when
told to in advance: `make clean-runs YES=1` (`--yes`), for scripts.
"""

import argparse
import csv
import shutil
import sys
from pathlib import Path

from {{ cookiecutter.package_name }}.results import RESULTS_FILE

RUN_FOLDERS = (Path("outputs"), Path("multirun"))


def inside(path: Path, folders: list[Path]) -> bool:
    return any(path.resolve().is_relative_to(folder.resolve()) for folder in folders)


def referenced_checkpoints(folders: list[Path], results_file: Path) -> list[Path] | None:
    """Checkpoints in these folders that rows of the results table name; None: unreadable table."""
    if not results_file.exists():
        return []
    try:
        with open(results_file, newline="") as file:
            named = {row.get("checkpoint") or "" for row in csv.DictReader(file)}
    except (OSError, csv.Error, UnicodeDecodeError):
        return None
    return sorted(Path(name) for name in named if name and inside(Path(name), folders))


def unsynced_wandb_runs(folders: list[Path]) -> list[Path]:
    """Offline W&B runs without the `.synced` mark that `wandb sync` leaves beside the run file."""
    runs = [run for folder in folders for run in folder.rglob("offline-run-*") if run.is_dir()]
    return sorted(run for run in runs if not any(run.glob("*.wandb.synced")))


def listing(folders: list[Path], results_file: Path = RESULTS_FILE) -> str:
    """What deleting these folders loses, as lines for the terminal."""
    files = [path for folder in folders for path in folder.rglob("*") if path.is_file()]
    size_mb = sum(path.stat().st_size for path in files) / 1e6
    names = " and ".join(f"{folder}/" for folder in folders)
    lines = [f"This deletes {names}: {len(files)} files, {size_mb:.1f} MB."]
    checkpoints = referenced_checkpoints(folders, results_file)
    if checkpoints is None:
        lines.append(f"  {results_file} cannot be read: the checkpoints its rows name are unknown.")
    elif checkpoints:
        lines.append(f"  {len(checkpoints)} checkpoints that rows of {results_file} point at:")
        lines += [f"    {path}" for path in checkpoints]
    runs = unsynced_wandb_runs(folders)
    if runs:
        lines.append(f"  {len(runs)} W&B runs never uploaded (upload first: wandb sync <folder>):")
        lines += [f"    {run}" for run in runs]
    return "\n".join(lines)


def confirmed(assume_yes: bool) -> bool:
    """Whether to delete: YES=1, or the answer to the question. With no one to answer (a script,
    CI) it stops with an error, so that a script does not take "nothing deleted" for done."""
    if assume_yes:
        return True
    try:
        return input("Delete all of this? [y/N] ").strip().lower() in ("y", "yes")
    except EOFError:
        print()
        sys.exit("Nothing deleted: no one answered. To delete without being asked: "
                 "`make clean-runs YES=1`.")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--yes", action="store_true", help="delete without asking (scripts)")
    args = parser.parse_args()
    folders = [folder for folder in RUN_FOLDERS if folder.is_dir()]
    if not folders:
        print("No run folders (outputs/, multirun/): nothing to delete.")
        return
    print(listing(folders))
    if not confirmed(args.yes):
        print("Nothing deleted.")  # the user's choice, not a failure
        return
    for folder in folders:
        shutil.rmtree(folder)
    print(f"Deleted {', '.join(f'{folder}/' for folder in folders)}.")


if __name__ == "__main__":
    main()
