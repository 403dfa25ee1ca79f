"""`make clean` deletes caches only; `make clean-runs` lists what the runs hold, then asks."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.config import PROJECT_ROOT
from {{ cookiecutter.package_name }}.results import append_row

CHECKPOINT = Path("outputs/train/run-1/checkpoints/best.ckpt")
OFFLINE_RUN = Path("outputs/train/run-1/wandb/offline-run-20260101_100000-abc")
SYNCED_RUN = Path("outputs/train/run-2/wandb/offline-run-20260101_110000-def")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project folder after some work: a run whose checkpoint is in the results table and whose
    W&B run was never uploaded, a run already uploaded, and caches."""
    for folder in (CHECKPOINT.parent, OFFLINE_RUN, SYNCED_RUN, Path("multirun/0"), Path("src")):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / CHECKPOINT).write_bytes(b"weights")
    (tmp_path / OFFLINE_RUN / "run-abc.wandb").write_bytes(b"logged")
    (tmp_path / SYNCED_RUN / "run-def.wandb").write_bytes(b"logged")
    (tmp_path / SYNCED_RUN / "run-def.wandb.synced").write_bytes(b"")  # what `wandb sync` leaves
    table = tmp_path / "results" / "results.csv"
    append_row({"checkpoint": str(CHECKPOINT), "description": "kept"}, table)
    for cache in (".pytest_cache", ".ruff_cache", "src/__pycache__"):
        (tmp_path / cache).mkdir()
    shutil.copy(PROJECT_ROOT / "Makefile", tmp_path)
    for folder in ("tests", "notebooks"):
        (tmp_path / folder).mkdir()
    return tmp_path


def make(project: Path, *arguments: str, answer: str | None = None) -> subprocess.CompletedProcess:
    """Run a make target in the project folder with this Python, typing `answer` if asked."""
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT / "src")}
    command = ["make", "--no-print-directory", f"PYTHON={sys.executable}", *arguments]
    return subprocess.run(
        command, cwd=project, env=env, input=answer, capture_output=True, text=True, timeout=120
    )


def test_clean_deletes_caches_only(project: Path) -> None:
    assert make(project, "clean").returncode == 0
    assert not (project / ".pytest_cache").exists() and not (project / "src/__pycache__").exists()
    assert (project / CHECKPOINT).is_file() and (project / OFFLINE_RUN).is_dir()
    assert (project / "multirun").is_dir() and (project / "results" / "results.csv").is_file()


def test_clean_runs_lists_what_is_lost_and_keeps_it_on_no(project: Path) -> None:
    result = make(project, "clean-runs", answer="n\n")
    assert result.returncode == 0  # the user's choice: no `make: *** Error 1` after it
    assert "1 checkpoints that rows of results/results.csv point at:" in result.stdout
    assert str(CHECKPOINT) in result.stdout
    assert "1 W&B runs never uploaded" in result.stdout and str(OFFLINE_RUN) in result.stdout
    assert str(SYNCED_RUN) not in result.stdout  # already uploaded: nothing lost
    assert "Nothing deleted." in result.stdout
    assert (project / CHECKPOINT).is_file() and (project / OFFLINE_RUN).is_dir()


def test_clean_runs_without_anyone_to_ask_deletes_nothing(project: Path) -> None:
    result = make(project, "clean-runs", answer="")  # end of input: a script, CI
    assert result.returncode != 0 and "make clean-runs YES=1" in result.stderr
    assert (project / CHECKPOINT).is_file()


@pytest.mark.parametrize("how", ["answer-y", "YES=1"])
def test_clean_runs_deletes_runs_once_confirmed(project: Path, how: str) -> None:
    if how == "answer-y":
        result = make(project, "clean-runs", answer="y\n")
    else:
        result = make(project, "clean-runs", "YES=1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert not (project / "outputs").exists() and not (project / "multirun").exists()
    assert (project / "results" / "results.csv").is_file()  # the table is kept, in git


def test_the_default_checkpoint_is_the_newest_runs_sweeps_included(project: Path) -> None:
    """`make evaluate` with no CKPT tests the best checkpoint of the newest run, which may be a
    job of a sweep (in outputs/train/multirun_<time>/<job>/)."""
    sweep_job = project / "outputs/train/multirun_2026-01-02/run-2/checkpoints/best.ckpt"
    sweep_job.parent.mkdir(parents=True)
    sweep_job.write_bytes(b"weights")
    os.utime(project / CHECKPOINT, (1, 1))  # the single run is older
    printed = make(project, "-n", "evaluate").stdout
    assert f'ckpt_path="{sweep_job.relative_to(project)}"' in printed
