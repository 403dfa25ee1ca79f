"""Lightning callbacks: those named in configs/callbacks/, and the project's own."""

import hydra
import lightning as L
from omegaconf import DictConfig


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
