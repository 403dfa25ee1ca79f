"""Shared fixtures: the example data prepared once into a temporary folder, and composed configs.

Configs are composed in-process with Hydra's compose API, as the command line does it, so the
tests exercise the real configs without paying Python's start-up time for each case.
"""

from collections.abc import Callable
from pathlib import Path

import hydra
import pytest
from omegaconf import DictConfig

from {{ cookiecutter.package_name }}.config import compose_config
from {{ cookiecutter.package_name }}.data.datamodule import PreparedData
from {{ cookiecutter.package_name }}.data.example import write_example
from {{ cookiecutter.package_name }}.data.prepare import prepare


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder holding the example dataset in raw/ and prepared in processed/."""
    data_dir = tmp_path_factory.mktemp("data")
    write_example(data_dir / "raw")
    prepare(compose_config("prepare", [f"paths.data_dir={data_dir}"]))
    return data_dir


@pytest.fixture
def data_source(data_dir: Path) -> Callable[..., PreparedData]:
    """The data source of configs/data/, as training builds it: on the example data by default."""

    def make(*overrides: str, data_dir: Path = data_dir) -> PreparedData:
        overrides = [f"paths.data_dir={data_dir}", "paths.output_dir=unused", *overrides]
        return hydra.utils.instantiate(compose_config("train", overrides).data)

    return make


@pytest.fixture
def train_config(data_dir: Path, tmp_path: Path) -> Callable[..., DictConfig]:
    """Compose configs/train.yaml on the prepared data, writing the run's files to tmp_path.

    The project root moves to tmp_path too, so results/results.csv and reports/figures/ of the
    tests never mix with the project's own. `data_dir=` trains on other prepared data.
    """

    def make(*overrides: str, data_dir: Path = data_dir) -> DictConfig:
        return compose_config(
            "train",
            [f"paths.root_dir={tmp_path}", f"paths.data_dir={data_dir}",
             f"paths.output_dir={tmp_path}", *overrides],
        )  # fmt: skip

    return make


@pytest.fixture(autouse=True)
def isolated_wandb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep W&B offline and out of the home folder, whatever the machine has configured."""
    monkeypatch.setenv("WANDB_MODE", "offline")
    for variable in ("WANDB_DIR", "WANDB_CACHE_DIR", "WANDB_CONFIG_DIR", "WANDB_DATA_DIR"):
        monkeypatch.setenv(variable, str(tmp_path / "wandb-home"))
    monkeypatch.setenv("WANDB_SILENT", "true")
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.delenv("SLURM_JOB_ID", raising=False)
