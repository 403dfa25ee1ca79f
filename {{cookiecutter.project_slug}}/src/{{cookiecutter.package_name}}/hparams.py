"""After a hyper-parameter search: print the best trial as the command that trains it again."""

import logging
from pathlib import Path

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

log = logging.getLogger(__name__)


def rerun_command(best_params: dict[str, object]) -> str:
    """`make train ARGS="..."` with the best trial's values as overrides."""
    overrides = " ".join(f"{name}={value}" for name, value in best_params.items())
    return f'make train ARGS="{overrides}"'


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
            config.optimized_metric, results.best_value, rerun_command(best),
        )  # fmt: skip
