"""After a hyper-parameter search: print the best trial as the command that trains it again."""

import logging
from pathlib import Path

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from {{ cookiecutter.package_name }}.data.info import make_args_of

log = logging.getLogger(__name__)


def rerun_command(best_params: dict[str, object], given: list[str]) -> str:
    """`make train ARGS="..."` with the settings the search was given (the search's own aside:
    hparams_search=, hydra.*) and the best trial's values."""
    search_only = ("hparams_search=", "hydra.", "hydra/", *(f"{name}=" for name in best_params))
    fixed = [override for override in given if not override.startswith(search_only)]
    return "make train " + make_args_of([*fixed, *(f"{k}={v}" for k, v in best_params.items())])


class PrintBestTrial(Callback):
    """A Hydra callback: at the end of an Optuna sweep, the best trial and how to rerun it."""

    def on_multirun_end(self, config: DictConfig, **kwargs: object) -> None:
        results_file = Path(config.hydra.sweep.dir) / "optimization_results.yaml"
        if not results_file.exists():  # not an Optuna sweep, or it ended before any trial
            return
        results = OmegaConf.load(results_file)
        best = OmegaConf.to_container(results.best_params)
        log.info(
            "Best trial: %s = %s. Train it again with:\n    %s",
            config.optimized_metric, results.best_value,
            rerun_command(best, list(config.hydra.overrides.task)),
        )  # fmt: skip
