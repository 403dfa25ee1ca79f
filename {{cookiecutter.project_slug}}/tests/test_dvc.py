"""The DVC pipeline end to end, in a copy of this project that is a fresh git and DVC repository.

One short pipeline run (one epoch on the CPU) is shared by the tests of this module: they check
that it reruns only what changed, that the data survives a push and pull byte for byte, that the
results table names the real commit and data version, and that parallel jobs each add their row.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.data.example import write_example
from {{ cookiecutter.package_name }}.pipeline import write_params
from {{ cookiecutter.package_name }}.results import read_results

pytestmark = pytest.mark.slow  # minutes: each stage is a new Python process that imports Lightning

PROJECT = Path(__file__).resolve().parents[1]
# What a fresh clone holds: the project's files, without its data, runs and caches.
LOCAL_FILES = {
    ".git", "data", "outputs", "multirun", "reports", "results", "wandb", ".venv", "dvc.lock",
    "metrics.json",
}  # fmt: skip


def not_copied(folder: str, names: list[str]) -> set[str]:
    if Path(folder) == PROJECT:
        local = LOCAL_FILES
    else:
        local = {"cache", "tmp"} if folder.endswith(".dvc") else set()
    caches = (".egg-info", "_cache", "__pycache__")
    return {name for name in names if name in local or name.endswith(caches)}


def run(project: Path, *command: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run a command in the project, with this Python first on PATH (DVC stages call `python`)."""
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(PROJECT / "src"),  # this project's code, installed or not
    }
    result = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)
    output = result.stdout[-3000:] + result.stderr[-3000:]
    if check:
        assert result.returncode == 0, f"{command} failed:\n{output}"
    return result


def dvc(project: Path, *args: str) -> str:
    result = run(project, sys.executable, "-m", "dvc", *args)
    return result.stdout + result.stderr


def git(project: Path, *args: str) -> str:
    return run(project, "git", *args).stdout.strip()


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git + DVC copy of the project with the example data tracked, after one `dvc repro`."""
    root = tmp_path_factory.mktemp("dvc")
    project = root / "project"
    shutil.copytree(PROJECT, project, ignore=not_copied)
    git(project, "init", "--quiet", "--initial-branch=main")
    git(project, "config", "user.name", "Test")
    git(project, "config", "user.email", "test@example.org")
    dvc(project, "remote", "modify", "storage", "url", str(root / "remote"))
    write_example(project / "data" / "raw")
    dvc(project, "add", "data/raw")
    with pytest.MonkeyPatch.context() as patch:  # params.yaml is written in the current folder
        patch.chdir(project)
        # As `make repro` does, with settings that run in seconds: one whole epoch (a debug run,
        # debug=smoke, would test on a few batches and add no row to the results).
        write_params(["trainer=cpu", "trainer.max_epochs=1", "logger=csv"])
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "Track the example data")
    (project / "repro.log").write_text(dvc(project, "repro"))  # what `make repro` shows
    return project


def test_repro_runs_every_stage_and_writes_the_metrics(project: Path) -> None:
    metrics = json.loads((project / "metrics.json").read_text())
    assert 0 <= metrics["test/acc"] <= 1
    assert (project / "outputs" / "train" / "dvc" / "checkpoints" / "best.ckpt").is_file()
    assert (project / "reports" / "figures" / "dvc" / "learning_curves.png").is_file()
    assert (project / "reports" / "figures" / "dvc-evaluate" / "confusion_matrix.png").is_file()
    assert "Data and pipelines are up to date" in dvc(project, "status")


def test_repro_says_what_each_stage_does_and_files_its_rows_by_job(project: Path) -> None:
    """The stages log as `make train` does (Hydra sets that up; the pipeline does it itself);
    the evaluate stage's row is an evaluation, which `make reproduce` tests again as one."""
    shown = (project / "repro.log").read_text()
    assert "Fitted to" in shown and "epoch 1/1" in shown and "Added row" in shown
    first_row = read_results(project / "results" / "results.csv").to_dict("records")[0]
    # The train stage tests nothing (test=false) and adds no row.
    assert json.loads((project / first_row["config"]).read_text())["job"] == "evaluate"


def test_second_repro_reruns_nothing(project: Path) -> None:
    output = dvc(project, "repro")
    assert "Running stage" not in output and "up to date" in output


def test_results_row_names_the_commit_and_the_data_version(project: Path) -> None:
    row = read_results(project / "results" / "results.csv").to_dict("records")[0]
    assert row["git_commit"] == git(project, "rev-parse", "HEAD") and row["git_dirty"] == "False"
    # The hash `dvc add` recorded, and the one the prepare stage recorded as its input.
    assert f"md5: {row['data_hash']}" in (project / "data" / "raw.dvc").read_text()
    assert f"md5: {row['data_hash']}" in (project / "dvc.lock").read_text()


def test_parallel_multirun_adds_one_row_per_job(project: Path) -> None:
    before = len(read_results(project / "results" / "results.csv"))
    run(
        project, sys.executable, "-m", "{{ cookiecutter.package_name }}.evaluate", "--multirun",
        "hydra/launcher=joblib", "hydra.launcher.n_jobs=4", "trainer=cpu", "logger=csv",
        "ckpt_path=outputs/train/dvc/checkpoints/best.ckpt", "data.batch_size=8,16,32,64",
    )  # fmt: skip
    table = read_results(project / "results" / "results.csv")
    new_rows = table.iloc[before:]
    assert len(new_rows) == 4
    fixed = "trainer=cpu logger=csv ckpt_path=outputs/train/dvc/checkpoints/best.ckpt"
    expected = [f"{fixed} data.batch_size={size}" for size in (8, 16, 32, 64)]
    assert sorted(new_rows["overrides"]) == sorted(expected)
    assert new_rows["test/acc"].astype(float).between(0, 1).all()


def test_changed_setting_reruns_train_and_evaluate_only(project: Path) -> None:
    output = dvc(project, "exp", "run", "-S", "debug=smoke", "-S", "model.optimizer.lr=0.01")
    assert "Running stage 'train'" in output and "Running stage 'evaluate'" in output
    assert "Running stage 'prepare'" not in output
    experiments = json.loads(dvc(project, "exp", "show", "--json"))
    (baseline,) = [entry for entry in experiments if entry.get("name") == "main"]
    (experiment,) = baseline["experiments"]
    params = experiment["revs"][0]["data"]["params"]["params.yaml"]["data"]
    assert params["model"]["optimizer"]["lr"] == 0.01


def test_plain_dvc_repro_runs_on_a_fresh_clone(tmp_path: Path) -> None:
    """What a DVC user types first: `dvc repro`, with the params.yaml the project ships."""
    project = tmp_path / "project"
    shutil.copytree(PROJECT, project, ignore=not_copied)
    git(project, "init", "--quiet")
    write_example(project / "data" / "raw")
    output = dvc(project, "repro", "prepare")  # the first stage: seconds, no training
    assert "Running stage 'prepare'" in output and "missing from 'params.yaml'" not in output
    assert (project / "data" / "processed" / "metadata.json").is_file()


def test_pipeline_without_data_says_what_to_run(tmp_path: Path) -> None:
    command = (sys.executable, "-m", "{{ cookiecutter.package_name }}.pipeline", "params")
    result = run(tmp_path, *command, check=False)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "make data-pull" in result.stderr and "make example-data" in result.stderr


def data_files(project: Path) -> dict[Path, bytes]:
    files = (project / "data").rglob("*")
    return {path.relative_to(project): path.read_bytes() for path in files if path.is_file()}


def test_push_then_pull_restores_the_data_byte_for_byte(project: Path) -> None:
    originals = data_files(project)
    dvc(project, "push")
    shutil.rmtree(project / "data" / "raw")
    shutil.rmtree(project / "data" / "processed")
    shutil.rmtree(project / ".dvc" / "cache")
    dvc(project, "pull")
    assert data_files(project) == originals


def test_data_pull_before_any_repro_brings_the_raw_data(tmp_path: Path) -> None:
    """Right after the quick start (data/raw.dvc committed, no dvc.lock yet), a collaborator's
    `make data-pull` brings data/raw; the pipeline's outputs, never made, are not an error."""
    project = tmp_path / "project"
    shutil.copytree(PROJECT, project, ignore=not_copied)
    git(project, "init", "--quiet")
    dvc(project, "remote", "modify", "storage", "url", str(tmp_path / "remote"))
    write_example(project / "data" / "raw")
    dvc(project, "add", "data/raw")
    dvc(project, "push")
    originals = data_files(project)
    shutil.rmtree(project / "data" / "raw")
    shutil.rmtree(project / ".dvc" / "cache")
    run(project, "make", f"PYTHON={sys.executable}", "data-pull")
    assert data_files(project) == originals


def test_changed_preparation_reruns_every_stage(project: Path) -> None:
    """Another split seed is other data: prepare, train and evaluate all run again."""
    output = dvc(project, "exp", "run", "-S", "debug=smoke", "-S", "data.preparation.split_seed=1")
    assert "Running stage 'prepare'" in output and "Running stage 'evaluate'" in output
