"""What training any network takes, whatever it predicts: the steps, the logging, the optimizer."""

import lightning as L
import torch
from torchmetrics import MetricCollection


class SupervisedModule(L.LightningModule):
    """Trains a network on (inputs, targets) batches with Adam, logging a loss and metrics.

    A subclass saves its hyperparameters (`lr` and `weight_decay` among them), builds
    `self.network`, hands its metrics to `track_metrics`, and defines `loss`. Its `forward` returns
    what the metrics compare with the targets, and `predict` what a person would read as the answer.
    """

    def track_metrics(self, metrics: MetricCollection) -> None:
        """One copy of the metrics per stage, logged as train/<name>, val/<name>, test/<name>."""
        self.train_metrics = metrics.clone(prefix="train/")
        self.val_metrics = metrics.clone(prefix="val/")
        self.test_metrics = metrics.clone(prefix="test/")

    def loss(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def training_step(self, batch: list[torch.Tensor], batch_idx: int) -> torch.Tensor:
        return self._step(batch, "train", self.train_metrics)

    def validation_step(self, batch: list[torch.Tensor], batch_idx: int) -> None:
        self._step(batch, "val", self.val_metrics)

    def test_step(self, batch: list[torch.Tensor], batch_idx: int) -> None:
        self._step(batch, "test", self.test_metrics)

    def _step(self, batch: list, stage: str, metrics: MetricCollection) -> torch.Tensor:
        inputs, targets = batch
        outputs = self(inputs)
        loss = self.loss(outputs, targets)
        metrics.update(outputs, targets)
        # sync_dist averages the loss over all processes when training on several GPUs.
        self.log(f"{stage}/loss", loss, prog_bar=True, on_epoch=True, sync_dist=stage != "train")
        self.log_dict(metrics, on_step=False, on_epoch=True)
        return loss

    def configure_optimizers(self) -> dict:
        optimizer = torch.optim.Adam(
            self.parameters(), lr=self.hparams.lr, weight_decay=self.hparams.weight_decay
        )
        # Halve the learning rate when the validation loss has stalled for two epochs.
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=2)
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "monitor": "val/loss"},
        }
