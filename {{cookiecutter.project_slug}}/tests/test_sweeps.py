"""Sweeps (`-m`): every job its own run folder, figures, W&B run and row, with any launcher; the
rows that differ only in the seed are summarised together (`make results ARGS="--by config_id"`).
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_wandb import finished_run_records

from {{ cookiecutter.package_name }}.results import read_results

pytestmark = pytest.mark.slow  # several trainings at once, from the command line

ONE_EPOCH = ["trainer=cpu", "trainer.max_epochs=1", "callbacks.progress_bar=null"]


def sweep(root: Path, data_dir: Path, *overrides: str, exit_status: int = 0) -> str:
    """`python -m <package>.train ... -m ...` in the project root `root`; returns its output.
    `-m` after some settings, as `make train ARGS="... -m ..."` lines may put it."""
    command = [
        sys.executable, "-m", "{{ cookiecutter.package_name }}.train", *ONE_EPOCH, "-m",
        *overrides, f"paths.root_dir={root}", f"paths.data_dir={data_dir}",
        f"paths.log_dir={root / 'outputs'}",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=900, env=os.environ)
    assert result.returncode == exit_status, result.stderr[-3000:]
    return result.stdout + result.stderr


def results_by_config(root: Path) -> str:
    module = "{{ cookiecutter.package_name }}.results"
    table = root / "results" / "results.csv"
    command = [sys.executable, "-m", module, "--by", "config_id", "--file", str(table)]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def test_seed_sweep_is_one_command_and_one_line_of_results(data_dir, tmp_path) -> None:
    sweep(tmp_path, data_dir, "logger=csv", "seed=1,2,3")
    (multirun,) = (tmp_path / "outputs" / "train").iterdir()
    assert len({run.name for run in multirun.iterdir() if run.is_dir()}) == 3
    table = read_results(tmp_path / "results" / "results.csv")
    assert sorted(table["seed"]) == ["1", "2", "3"] and table["config_id"].nunique() == 1
    summary = results_by_config(tmp_path)
    print(summary)  # what `make results ARGS="--by config_id"` shows (pytest -s)
    (line,) = summary.splitlines()[1:]
    assert " 3 " in line and "1,2,3" in line and "±" in line


def test_a_diverging_job_fails_alone_and_the_sweep_goes_on(data_dir, tmp_path) -> None:
    output = sweep(tmp_path, data_dir, "logger=csv", "model.optimizer.lr=1e30,0.001", exit_status=1)
    assert "Training diverged" in output and "The sweep's other jobs go on." in output
    (multirun,) = (tmp_path / "outputs" / "train").iterdir()
    assert len([run for run in multirun.iterdir() if run.is_dir()]) == 2
    (row,) = read_results(tmp_path / "results" / "results.csv").itertuples()
    assert "model.optimizer.lr=0.001" in row.overrides  # the job after the diverged one trained


def test_parallel_sweep_gives_every_job_its_own_folders_and_wandb_run(data_dir, tmp_path) -> None:
    # DataLoader workers in joblib's processes too: they start the platform's way (datamodule.py).
    sweep(tmp_path, data_dir, "hydra/launcher=joblib", "hydra.launcher.n_jobs=4", "logger=wandb",
          "seed=1,2,3,4", "data.num_workers=2")  # fmt: skip
    (multirun,) = (tmp_path / "outputs" / "train").iterdir()
    runs = sorted(run for run in multirun.iterdir() if run.is_dir())
    assert len(runs) == 4
    figures = sorted((tmp_path / "reports" / "figures").iterdir())
    assert [folder.name for folder in figures] == [run.name for run in runs]
    assert all((folder / "learning_curves.png").is_file() for folder in figures)
    wandb_names = []
    for run in runs:
        (run_file,) = run.glob("wandb/offline-run-*/run-*.wandb")
        records = finished_run_records(run_file)
        (name,) = [r.run.display_name for r in records if r.WhichOneof("record_type") == "run"]
        wandb_names.append(name)
    assert wandb_names == [run.name for run in runs]  # four W&B runs, four names
    table = read_results(tmp_path / "results" / "results.csv")
    assert sorted(table["run_name"]) == [run.name for run in runs]
    assert " 4 " in results_by_config(tmp_path).splitlines()[1]


def test_ddp_sweep_leaves_one_folder_per_job(data_dir, tmp_path) -> None:
    """Each job trains with two DDP processes; the second process works in its job's folder."""
    sweep(tmp_path, data_dir, "trainer=ddp_cpu", "logger=csv", "seed=1,2")
    (multirun,) = (tmp_path / "outputs" / "train").iterdir()  # no stray sweep of a second process
    runs = sorted(run for run in multirun.iterdir() if run.is_dir())
    assert len(runs) == 2 and all((run / "checkpoints" / "best.ckpt").is_file() for run in runs)
    assert len(read_results(tmp_path / "results" / "results.csv")) == 2  # rank zero records alone
