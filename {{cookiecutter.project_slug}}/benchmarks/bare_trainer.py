"""The training of `make train` on a bare Lightning Trainer: what Lightning's own loop costs.

The same work as benchmarks/plain_loop.py (the project's data, network, loss and optimizer, device
and precision, validation and a checkpoint every epoch), run by `L.Trainer` with nothing of the
project's around it: no loggers, metrics, progress bar, early stopping or learning-rate monitor.
Between the plain loop and the project, `make bench` shows with it how much of the gap is
Lightning's loop itself, and how much the project adds.
`python benchmarks/bare_trainer.py <overrides>` takes the overrides of `make train`.
"""

import sys
from pathlib import Path

import lightning as L
import torch
from lightning.pytorch.callbacks import ModelCheckpoint
from plain_loop import the_work
from timing import TimingCallback


class BareModule(L.LightningModule):
    """The project's network, loss and optimizer, and nothing else: no logging, no metrics."""

    def __init__(self, model: L.LightningModule) -> None:
        super().__init__()
        self.model = model

    def training_step(self, batch: list[torch.Tensor], batch_idx: int) -> torch.Tensor:
        inputs, targets = batch
        return self.model.loss(self.model(inputs), targets)

    def validation_step(self, batch: list[torch.Tensor], batch_idx: int) -> None:
        inputs, targets = batch
        self.model.loss(self.model(inputs), targets)

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return self.model.configure_optimizers()["optimizer"]


def main(overrides: list[str]) -> None:
    cfg, data, model = the_work(overrides)
    # One checkpoint each epoch, as the plain loop writes (no metric: every save replaces it).
    checkpoint = ModelCheckpoint(dirpath=Path(cfg.paths.log_dir) / "bare-trainer", filename="last")
    trainer = L.Trainer(
        accelerator=cfg.trainer.accelerator, devices=1, precision=cfg.trainer.precision,
        max_epochs=cfg.trainer.max_epochs, logger=False, enable_progress_bar=False,
        enable_model_summary=False, callbacks=[TimingCallback(), checkpoint],
    )  # fmt: skip
    trainer.fit(BareModule(model), datamodule=data)


if __name__ == "__main__":
    main(sys.argv[1:])
