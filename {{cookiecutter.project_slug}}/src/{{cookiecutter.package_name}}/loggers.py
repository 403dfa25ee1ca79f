"""Build the Lightning loggers of configs/logger/, and decide whether W&B logs online or offline."""

import logging
import netrc
import os
import socket
import threading
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


# How long to wait for the W&B server before logging offline. Compute nodes often have no
# network at all, and wandb itself would wait about 108 s there before failing the run.
CONNECT_TIMEOUT_S = 3.0


def wandb_server() -> tuple[str, int]:
    """The host and port of the W&B server: api.wandb.ai, or WANDB_BASE_URL (a local server)."""
    url = urlparse(os.environ.get("WANDB_BASE_URL", "https://api.wandb.ai"))
    return url.hostname or "api.wandb.ai", url.port or (80 if url.scheme == "http" else 443)


def reachable(host: str, port: int, timeout: float = CONNECT_TIMEOUT_S) -> bool:
    """Whether a TCP connection to host:port opens within `timeout` seconds, name lookup included.

    The lookup runs in a thread of its own, because a missing name server can make it hang far
    longer than any timeout given to the connection.
    """
    result: list[bool] = []

    def connect() -> None:
        try:
            with socket.create_connection((host, port), timeout=timeout):
                result.append(True)
        except OSError:
            result.append(False)

    attempt = threading.Thread(target=connect, daemon=True)
    attempt.start()
    attempt.join(timeout)
    return result == [True]


def choose_wandb_mode(save_dir: str) -> None:
    """Log offline, saying so in one line, when W&B has no login or its server cannot be reached.

    Without this, W&B would stop a run that has no account with "No API key configured", and
    a run with a key but no network would wait minutes, then fail. WANDB_MODE, when set, decides.
    """
    if "WANDB_MODE" in os.environ:
        return
    upload = f"upload later with `wandb sync {save_dir}/wandb/offline-run-*`"
    # (`wandb login` once, on a machine with network, makes later runs log online.)
    if not wandb_logged_in():
        os.environ["WANDB_MODE"] = "offline"
        log.info("W&B: no login found, logging offline to %s/wandb; %s.", save_dir, upload)
        return
    host, port = wandb_server()
    if not reachable(host, port):
        os.environ["WANDB_MODE"] = "offline"
        log.warning(
            "W&B: logged in, but %s:%d cannot be reached within %.0f s (no network?): logging "
            "offline to %s/wandb; %s.",
            *(host, port, CONNECT_TIMEOUT_S, save_dir, upload),
        )


def instantiate_loggers(group: DictConfig | None) -> list:
    """Build the loggers of configs/logger/; W&B logs offline when it cannot log online."""
    if group and group.get("wandb"):
        choose_wandb_mode(group.wandb.save_dir)
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
