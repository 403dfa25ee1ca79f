"""params.yaml, which the DVC pipeline's stages read, is shipped in step with configs/, so that a
plain `dvc repro` runs on a fresh clone; a stage says in one line when it has fallen behind."""

import logging

import pytest
from omegaconf import OmegaConf

from {{ cookiecutter.package_name }}.config import PROJECT_ROOT
from {{ cookiecutter.package_name }}.pipeline import compose_params, read_params


def test_shipped_params_match_the_configs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Change a config of the pipeline, and `make repro` once, then commit params.yaml too. The
    text itself is compared: a fresh project's `make repro` leaves git nothing to show."""
    monkeypatch.delenv("PROJECT_ROOT", raising=False)  # paths as on any machine: relative
    shipped = (PROJECT_ROOT / "params.yaml").read_text()
    assert shipped == OmegaConf.to_yaml(compose_params()), (
        "params.yaml is behind configs/: run `make repro` (or `python -m "
        "{{ cookiecutter.package_name }}.pipeline params`) and commit params.yaml"
    )


def test_stage_on_stale_params_says_so_in_one_line(tmp_path, monkeypatch, caplog) -> None:
    monkeypatch.delenv("DVC_EXP_BASELINE_REV", raising=False)  # not a `dvc exp run`
    params = OmegaConf.to_container(compose_params())
    params["seed"] = 7  # as if configs/train.yaml had been edited since params.yaml was written
    (tmp_path / "params.yaml").write_text(OmegaConf.to_yaml(params))
    monkeypatch.chdir(tmp_path)
    with caplog.at_level(logging.WARNING):
        assert read_params().seed == 7  # the stage runs on params.yaml, as DVC recorded it
    (message,) = [record.getMessage() for record in caplog.records]
    assert message.startswith("params.yaml differs from configs/ (seed)")
    assert "make repro" in message


def test_experiment_params_are_not_stale(tmp_path, monkeypatch, caplog) -> None:
    """`dvc exp run -S ...` writes params.yaml with its overrides: that is no mistake."""
    monkeypatch.setenv("DVC_EXP_BASELINE_REV", "0" * 40)
    (tmp_path / "params.yaml").write_text(OmegaConf.to_yaml(compose_params(["seed=7"])))
    monkeypatch.chdir(tmp_path)
    with caplog.at_level(logging.WARNING):
        read_params()
    assert not caplog.records
