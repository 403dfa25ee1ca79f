"""Prepare the raw data once (`make data`): data/raw -> data/processed (arrays, metadata.json).

The data source named in configs/data/ (its `_target_`) does the work in its `prepare()`; its
settings are the `data.preparation` values: `make data ARGS="data.preparation.<name>=<value>"`,
or an experiment's: `make data ARGS="experiment=<name>"`.
"""

import logging

import hydra
from omegaconf import DictConfig

from {{ cookiecutter.package_name }} import config, runs  # noqa: F401 (runs: ${unique_run_name:})
from {{ cookiecutter.package_name }}.data.info import DataInfo
from {{ cookiecutter.package_name }}.errors import exit_on_user_error

log = logging.getLogger(__name__)


def prepare(cfg: DictConfig) -> DataInfo:
    """Prepare the data that `cfg.data` describes, and return what it tells the model."""
    return hydra.utils.instantiate(cfg.data).prepare()


@hydra.main(version_base="1.3", config_path="../../../configs", config_name="prepare")
def main(cfg: DictConfig) -> None:
    with exit_on_user_error(run_dir=cfg.paths.output_dir):
        info = prepare(cfg)
    log.info(
        "Prepared %s for %s (%s) into %s, with %s",
        info.name, info.describe(), info.task, cfg.data.processed_dir, info.preparation,
    )  # fmt: skip


if __name__ == "__main__":
    config.exit_on_misspelt_setting("prepare")
    main()
