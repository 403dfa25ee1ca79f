"""Lightning callbacks: those named in configs/callbacks/, and the project's own."""

import logging
import sys
import time

import hydra
import lightning as L
from lightning.pytorch.callbacks import ProgressBar, TQDMProgressBar
from omegaconf import DictConfig

log = logging.getLogger(__name__)


def instantiate_callbacks(group: DictConfig | None) -> list[L.Callback]:
    """Build every callback of configs/callbacks/; an entry set to null is switched off."""
    return [hydra.utils.instantiate(entry) for entry in (group or {}).values() if entry]


class EpochHistory(L.Callback):
    """Collects the epoch-level train and validation metrics, for the learning-curve figure."""

    def __init__(self) -> None:
        self.epochs: list[dict[str, float]] = []

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # Validation has already run for this epoch, so both train/* and val/* values are here.
        metrics = {name: float(value) for name, value in trainer.callback_metrics.items()}
        self.epochs.append({"epoch": trainer.current_epoch, **metrics})


def progress_bar(refresh_rate: int) -> ProgressBar:
    """A progress bar in a terminal; one plain line per epoch where output goes to a file (SLURM
    jobs, CI, `| tee`), which a redrawn bar would fill with hundreds of fragments."""
    if sys.stderr.isatty():
        return TQDMProgressBar(refresh_rate=refresh_rate)
    return EpochLines()


class EpochLines(ProgressBar):
    """Logs one line per epoch: its number, duration, and the epoch's losses and metrics."""

    def __init__(self) -> None:
        super().__init__()
        self.enabled = True
        self.epoch_started = 0.0

    def disable(self) -> None:
        self.enabled = False

    def enable(self) -> None:
        self.enabled = True

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.epoch_started = time.monotonic()

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if not (self.enabled and trainer.is_global_zero):
            return
        metrics = {
            name.removesuffix("_epoch"): float(value)
            for name, value in trainer.callback_metrics.items()
            if name in ("train/loss", "train/loss_epoch") or name.startswith("val/")
        }
        shown = "  ".join(f"{name} {value:.4g}" for name, value in sorted(metrics.items()))
        seconds = time.monotonic() - self.epoch_started
        log.info("epoch %d/%d (%.1f s)  %s", trainer.current_epoch + 1, trainer.max_epochs,
                 seconds, shown)  # fmt: skip
