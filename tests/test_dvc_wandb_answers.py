"""What the DVC and W&B answers render: the DVC repository and remote, the pipeline, the W&B logger.

Checked with the real DVC and Hydra, in the fast tier. The bad answers to these questions are rows
of test_hooks.py; the slow DVC runs (`dvc repro`, push and pull) are in test_projects_run.py.
"""

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from conftest import QUESTIONS

REMOTES = {
    "s3": "s3://lab-bucket/clouds",
    "gs": "gs://lab-bucket/clouds",
    "azure": "azure://lab-container/clouds",
    "ssh": "ssh://ada@cluster.example.org/srv/dvc/clouds",
}


def dvc(project: Path, *args: str) -> str:
    result = subprocess.run([sys.executable, "-m", "dvc", *args], cwd=project, capture_output=True, text=True)
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


def test_every_remote_kind_has_an_example_url() -> None:
    """A new kind of remote in cookiecutter.json is tested here only once REMOTES has its URL."""
    assert set(QUESTIONS["dvc_remote"]) == {"local", *REMOTES}


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


@pytest.mark.parametrize("answer", ["fog-study", "2024", "true", "Größe"])
def test_wandb_project_reaches_params_yaml_as_the_same_text(bake, answer: str) -> None:
    """params.yaml (which `make repro` rewrites) holds the W&B project as a string, quoted only
    where YAML needs it: "2024" stays text, not a number."""
    params = yaml.safe_load((bake(wandb_project=answer) / "params.yaml").read_text())
    assert params["logger"]["wandb"]["project"] == answer


@pytest.mark.parametrize("example", QUESTIONS["example"])
def test_pipeline_is_consistent_with_the_project_and_dvc_composes_its_params(bake, example: str) -> None:
    """Every dep in dvc.yaml exists, and every param is a key of what DVC's Hydra composition writes."""
    from dvc.utils.hydra import compose_and_dump
    from omegaconf import OmegaConf

    project = bake(example=example)
    stages = yaml.safe_load((project / "dvc.yaml").read_text())["stages"]
    assert list(stages) == ["prepare", "train", "evaluate"]
    deps = [dep for stage in stages.values() for dep in stage["deps"]]
    produced = {out for stage in stages.values() for out in stage.get("outs", [])}
    missing = [dep for dep in deps if not (project / dep).exists() and dep not in produced]
    assert missing == ["data/raw"]  # filled by `make example-data` or `make data-pull`

    params_file = project / "params.yaml"
    compose_and_dump(params_file, str(project / "configs"), None, "pipeline", str(project), [])
    params = OmegaConf.load(params_file)
    absent = object()  # a key may hold null (e.g. data.batch_size, fitted to the data)
    for stage in stages.values():
        for key in stage.get("params", []):
            assert OmegaConf.select(params, key, default=absent) is not absent, key
    assert params.paths.output_dir == "./outputs/train/dvc"  # where dvc.yaml expects the checkpoints
    assert "outputs/train/dvc/checkpoints" in produced
