"""Mistakes a user can fix, and how the entry points report them.

Every such mistake raises `UserError` (or a subclass) with one sentence that names the file, folder
or setting and says what to do. Each entry point catches it in one place, `exit_on_user_error`,
prints that sentence and exits non-zero; anything else is a bug and keeps its traceback.
"""

import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class UserError(Exception):
    """A mistake in the data, the settings or the command: the message says what to do."""


class TrainingDivergedError(UserError):
    """The loss became NaN or infinite: the run stops, and says what to try."""


class SweepJobFailed(Exception):
    """One job of a sweep failed on its own (its training diverged). Not a UserError, which stops
    the whole command at once: Hydra runs the sweep's other jobs, then reports this one."""


def user_error_in(error: BaseException) -> UserError | None:
    """The UserError behind an exception, if any: Hydra wraps what a class raises while it is
    built from its config (`instantiate`) in an error of its own."""
    while error is not None and not isinstance(error, UserError):
        error = error.__cause__
    return error


@contextmanager
def exit_on_user_error(run_dir: str | Path | None = None) -> Iterator[None]:
    """Turn a UserError into `ERROR: <its sentence>` on stderr and exit status 1.

    `run_dir`: the run's folder, which Hydra made before the run began. A run stopped by a
    mistake before it wrote anything leaves only Hydra's config and log there: the folder is
    removed, so that outputs/ lists runs, not attempts (the sentence on the screen says it all).
    """
    try:
        yield
    except Exception as error:
        mistake = user_error_in(error)
        if mistake is None:
            raise  # a bug, not a mistake of the user's: keep the whole traceback
        if run_dir is not None:
            remove_if_nothing_written(Path(run_dir))
        sys.exit(f"ERROR: {mistake}")


def remove_if_nothing_written(run_dir: Path) -> None:
    """Remove a run folder that holds nothing but Hydra's config (.hydra/) and log (*.log), and
    the sweep folder it leaves empty."""
    if not run_dir.is_dir():
        return
    # Hydra's config and log, and the lock this process held on the folder (runs.py).
    written_before_the_run = {".hydra", "run.lock", "run.pid"}
    if all(p.name in written_before_the_run or p.suffix == ".log" for p in run_dir.iterdir()):
        shutil.rmtree(run_dir)
    # A sweep's folder (-m), if this job was its first and only one: Hydra wrote the sweep's
    # config there (multirun.yaml) before any job ran. With other jobs in it, it stays.
    sweep_dir = run_dir.parent
    if [p.name for p in sweep_dir.iterdir()] == ["multirun.yaml"]:
        shutil.rmtree(sweep_dir)
