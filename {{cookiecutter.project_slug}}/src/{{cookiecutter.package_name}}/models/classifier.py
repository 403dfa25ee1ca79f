"""The LightningModule: how any network is trained, validated and tested as a classifier."""

import hydra
import lightning as L
import torch
import torch.nn.functional as F
from torchmetrics import MetricCollection
from torchmetrics.classification import (
    MulticlassAccuracy,
    MulticlassF1Score,
    MulticlassPrecision,
    MulticlassRecall,
)


class Classifier(L.LightningModule):
    """Trains a network with cross-entropy and Adam, and reports accuracy, precision, recall, F1.

    Its hyperparameters are plain values (the network is given as its config, not as an object),
    so a checkpoint reloads on its own: `Classifier.load_from_checkpoint("best.ckpt")`.
    """

    def __init__(
        self,
        network: dict,
        input_shape: list[int],
        class_names: list[str],
        lr: float = 1e-3,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()  # stored in every checkpoint
        num_classes = len(class_names)
        self.network = hydra.utils.instantiate(
            network, input_shape=input_shape, num_classes=num_classes
        )
        # Macro averages weigh every class equally, so a rare class counts as much as a common one.
        metrics = MetricCollection(
            {
                "acc": MulticlassAccuracy(num_classes, average="micro"),
                "precision": MulticlassPrecision(num_classes, average="macro"),
                "recall": MulticlassRecall(num_classes, average="macro"),
                "f1": MulticlassF1Score(num_classes, average="macro"),
            }
        )
        self.train_metrics = metrics.clone(prefix="train/")
        self.val_metrics = metrics.clone(prefix="val/")
        self.test_metrics = metrics.clone(prefix="test/")

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.network(inputs)  # [B, num_classes] logits

    def training_step(self, batch: list[torch.Tensor], batch_idx: int) -> torch.Tensor:
        return self._step(batch, "train", self.train_metrics)

    def validation_step(self, batch: list[torch.Tensor], batch_idx: int) -> None:
        self._step(batch, "val", self.val_metrics)

    def test_step(self, batch: list[torch.Tensor], batch_idx: int) -> None:
        self._step(batch, "test", self.test_metrics)

    def _step(self, batch: list, stage: str, metrics: MetricCollection) -> torch.Tensor:
        inputs, labels = batch  # labels: [B] class indices
        logits = self(inputs)
        loss = F.cross_entropy(logits, labels)
        metrics.update(logits, labels)
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
