"""Data and experiments (issue 3): DVC repository and remote, pipeline, W&B answers, results table.

Fast tier: what the answers render, checked with the real DVC and Hydra. Slow tier: the generated
project's own DVC tests (marked slow there, so its `make test` stays quick), and the newcomer's
path from example data to `make results`.
"""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from cookiecutter.exceptions import FailedHookException

from conftest import bake_into

REMOTES = {
    "s3": "s3://lab-bucket/clouds",
    "gs": "gs://lab-bucket/clouds",
    "azure": "azure://lab-container/clouds",
    "ssh": "ssh://ada@cluster.example.org/srv/dvc/clouds",
}


def dvc(project: Path, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "dvc", *args], cwd=project, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def remote_url(project: Path) -> str:
    """The default remote's URL, as DVC reads it (a relative local path made absolute)."""
    from dvc.repo import Repo

    with Repo(str(project)) as repo:
        return repo.config["remote"][repo.config["core"]["remote"]]["url"]


def test_bake_is_a_dvc_repository_with_a_local_remote_outside_the_project(bake) -> None:
    project = bake()
    assert remote_url(project) == str(project.parent / "cloud-classifier-dvc-storage")
    assert dvc(project, "config", "hydra.config_name") == "pipeline"
    committed = subprocess.run(
        ["git", "ls-files"], cwd=project, capture_output=True, text=True, check=True
    ).stdout.split()
    assert {".dvc/config", ".dvc/.gitignore", ".dvcignore", "dvc.yaml"} <= set(committed)


@pytest.mark.parametrize("kind", REMOTES)
def test_remote_choice_sets_the_url_and_the_dvc_extra(bake, kind: str) -> None:
    project = bake(dvc_remote=kind, dvc_remote_url=REMOTES[kind])
    assert remote_url(project) == REMOTES[kind]
    dependencies = tomllib.loads((project / "pyproject.toml").read_text())["project"]["dependencies"]
    assert f"dvc[{kind}]>=3.50" in dependencies


def test_local_remote_may_be_an_absolute_path(bake, tmp_path: Path) -> None:
    project = bake(dvc_remote_url=str(tmp_path / "shared" / "dvc"))
    assert remote_url(project) == str(tmp_path / "shared" / "dvc")


def test_wandb_answers_set_project_and_entity(bake) -> None:
    default = yaml.safe_load((bake() / "configs" / "logger" / "wandb.yaml").read_text())["wandb"]
    assert (default["project"], default["entity"]) == ("cloud-classifier", None)
    project = bake(project_name="Fog", wandb_project="fog-study", wandb_entity="ada-lab")
    chosen = yaml.safe_load((project / "configs" / "logger" / "wandb.yaml").read_text())["wandb"]
    assert (chosen["project"], chosen["entity"]) == ("fog-study", "ada-lab")


BAD_ANSWERS = {
    "wandb-project-slash": ({"wandb_project": "lab/clouds"}, "wandb_project 'lab/clouds'"),
    "wandb-entity-space": ({"wandb_entity": "ada lab"}, "wandb_entity 'ada lab'"),
    "s3-remote-with-gs-url": (
        {"dvc_remote": "s3", "dvc_remote_url": "gs://bucket/x"},
        "dvc_remote_url 'gs://bucket/x' is not a s3 URL",
    ),
    "local-remote-with-url": ({"dvc_remote_url": "s3://bucket/x"}, "dvc_remote is 'local'"),
    "remote-url-with-comment": ({"dvc_remote_url": "../store # old"}, "cannot be written"),
}


@pytest.mark.parametrize("answers, message", BAD_ANSWERS.values(), ids=BAD_ANSWERS.keys())
def test_bad_answer_is_rejected(answers: dict, message: str, tmp_path: Path, capfd) -> None:
    with pytest.raises(FailedHookException):
        bake_into(tmp_path, **answers)
    stderr = capfd.readouterr().err
    assert message in stderr and "e.g. '" in stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("task", ["images", "tabular"])
def test_pipeline_is_consistent_with_the_project_and_dvc_composes_its_params(bake, task: str) -> None:
    """Every dep in dvc.yaml exists, and every param is a key of what DVC's Hydra composition writes."""
    from dvc.utils.hydra import compose_and_dump
    from omegaconf import OmegaConf

    project = bake(example_task=task)
    stages = yaml.safe_load((project / "dvc.yaml").read_text())["stages"]
    assert list(stages) == ["prepare", "train", "evaluate"]
    deps = [dep for stage in stages.values() for dep in stage["deps"]]
    produced = {out for stage in stages.values() for out in stage.get("outs", [])}
    missing = [dep for dep in deps if not (project / dep).exists() and dep not in produced]
    assert missing == ["data/raw"]  # filled by `make example-data` or `make data-pull`

    params_file = project / "params.yaml"
    compose_and_dump(params_file, str(project / "configs"), None, "pipeline", str(project), [])
    params = OmegaConf.load(params_file)
    for stage in stages.values():
        for key in stage.get("params", []):
            assert OmegaConf.select(params, key) is not None, key
    assert params.paths.output_dir == "./outputs/train/dvc"  # where dvc.yaml expects the checkpoints
    assert "outputs/train/dvc/checkpoints" in produced


# Regression (predicting a number) is part of the tabular example only.
REGRESSION_FILES = [
    "configs/experiment/body_mass.yaml",
    "src/cloud_classifier/models/regressor.py",
    "src/cloud_classifier/models/task.py",
    "tests/test_regression.py",
]
REGRESSION_WORDS = re.compile(r"regress|body_mass|predicted_vs_true|test/r2|\bmae\b|rmse|data\.task", re.I)


@pytest.mark.parametrize("task", ["images", "tabular"])
def test_regression_is_baked_into_the_tabular_example_only(bake, task: str) -> None:
    project = bake(example_task=task)
    files = [path for path in project.rglob("*") if path.is_file() and ".git" not in path.parts]
    mentions = {
        str(path.relative_to(project))
        for path in files
        if REGRESSION_WORDS.search(path.read_text(encoding="utf-8"))
    }
    present = [name for name in REGRESSION_FILES if (project / name).is_file()]
    if task == "images":
        assert present == [] and mentions == set()
        return
    assert present == REGRESSION_FILES
    package = "src/cloud_classifier/"
    wired = [f"{package}{name}.py" for name in ("train", "evaluate", "report", "plots", "results")]
    assert {f"{package}data/prepare.py", *wired, "dvc.yaml", "README.md"} <= mentions
    experiment = yaml.safe_load((project / REGRESSION_FILES[0]).read_text())
    assert experiment["data"] == {"target": "body_mass_g", "task": "regression", "target_unit": "g"}
    data = yaml.safe_load((project / "configs" / "data" / "penguins.yaml").read_text())
    assert (data["target"], data["task"]) == ("species", "classification")


@pytest.mark.slow
@pytest.mark.parametrize("cell, answers", [("default", {}), ("tabular", {"example_task": "tabular"})])
def test_generated_dvc_pipeline_tests_pass(installed_project, cell: str, answers: dict) -> None:
    project = installed_project(cell, **answers)
    output = project.run(str(project.python), "-m", "pytest", "-m", "slow", "-q", "-p", "no:cacheprovider")
    assert re.search(r"\d+ passed", output) and " failed" not in output


@pytest.mark.slow
def test_newcomer_path_ends_in_a_sorted_results_table(installed_project) -> None:
    """example data -> make data -> make train -> make evaluate -> make repro -> make results."""
    project = installed_project("tabular", example_task="tabular")
    if not any((project.path / "data" / "raw").glob("*")):  # another test may have written it
        project.make("example-data")
    assert (project.path / "data" / "raw.dvc").is_file()
    project.make("data")
    project.make("train", "ARGS=trainer.max_epochs=3 description='three epochs'")
    project.make("evaluate")
    project.make("repro")
    assert (project.path / "metrics.json").is_file() and (project.path / "dvc.lock").is_file()

    table = project.make("results")
    print(table)  # what a newcomer sees (pytest -s shows it)
    header = next(line for line in table.splitlines() if "test/acc" in line)
    rows = [line for line in table.splitlines() if re.match(r"\s*20\d\d-", line)]
    assert len(rows) >= 3  # make train, make evaluate, make repro
    end = header.index("test/acc") + len("test/acc")  # values are right-aligned under their name
    accuracies = [float(row[:end].split()[-1]) for row in rows]
    assert accuracies == sorted(accuracies, reverse=True)

    project.make("data-push")
    storage = project.path.parent / f"{project.path.name}-dvc-storage"
    assert any(storage.rglob("*")), "the default remote is the folder beside the project"


@pytest.mark.slow
def test_readme_regression_flow_predicts_a_number(installed_project) -> None:
    """make data/train/evaluate ARGS="experiment=body_mass", as the README says, then make results."""
    project = installed_project("tabular", example_task="tabular")
    if not any((project.path / "data" / "raw").glob("*")):  # another test may have written it
        project.make("example-data")
    project.make("data", "ARGS=experiment=body_mass")
    train_output = project.make("train", "ARGS=experiment=body_mass trainer.max_epochs=3 logger=csv")
    mae = float(re.findall(r"test/mae\s+([0-9.]+)", train_output)[-1])
    assert 0 < mae < 1000  # grams; the body masses spread over 2700-6300 g
    run = max((project.path / "outputs" / "train").iterdir(), key=lambda path: path.stat().st_mtime)
    assert (project.path / "reports" / "figures" / run.name / "predicted_vs_true.png").is_file()
    evaluate_output = project.make("evaluate", f"CKPT={run}/checkpoints/best.ckpt")
    assert float(re.findall(r"test/mae\s+([0-9.]+)", evaluate_output)[-1]) == pytest.approx(mae)

    # A classification run on the regression data stops with the command that fixes it.
    result = project.run_unchecked("make", f"PYTHON={project.python}", "train")
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert 'make data ARGS="data.target=species data.task=classification"' in result.stderr
    table = project.make("results")
    assert "test/r2" in table and "Body mass (g) by regression" in table
