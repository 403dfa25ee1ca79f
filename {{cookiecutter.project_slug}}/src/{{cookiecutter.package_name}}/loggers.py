"""Build the Lightning loggers of configs/logger/, and decide whether W&B logs online or offline."""

import logging
import netrc
import os
from urllib.parse import urlparse

import hydra
from lightning.pytorch.loggers import WandbLogger as LightningWandbLogger
from omegaconf import DictConfig

log = logging.getLogger(__name__)


def wandb_logged_in() -> bool:
    """Whether W&B credentials exist here: an API key in the environment or from `wandb login`."""
    if os.environ.get("WANDB_API_KEY"):
        return True
    host = urlparse(os.environ.get("WANDB_BASE_URL", "https://api.wandb.ai")).hostname
    try:
        return netrc.netrc().authenticators(host) is not None
    except (FileNotFoundError, netrc.NetrcParseError):
        return False


def instantiate_loggers(group: DictConfig | None) -> list:
    """Build the loggers; W&B runs offline unless logged in or told otherwise by WANDB_MODE.

    Without this, W&B would stop a run that has no account with "No API key configured".
    """
    if group and "wandb" in group and not wandb_logged_in() and "WANDB_MODE" not in os.environ:
        os.environ["WANDB_MODE"] = "offline"
        log.info(
            "W&B: no login found, logging offline to %s/wandb. Upload later with "
            "`wandb sync %s/wandb/offline-run-*`, or `wandb login` to log online.",
            group.wandb.save_dir,
            group.wandb.save_dir,
        )
    return [hydra.utils.instantiate(entry) for entry in (group or {}).values() if entry]


class WandbLogger(LightningWandbLogger):
    """Lightning's W&B logger, without the `anonymous` setting it always passes, which W&B 0.31
    answers on every run with a warning that it has no effect."""

    def __init__(self, **settings: object) -> None:
        super().__init__(**settings)
        self._wandb_init.pop("anonymous", None)


def finish_loggers(loggers: list) -> None:
    """End the W&B run, writing out all it logged, so that the next run started in the same
    Python process (a notebook, a test) gets a run of its own instead of reusing this one."""
    if any(type(logger).__name__ == "WandbLogger" for logger in loggers):
        import wandb

        wandb.finish()
