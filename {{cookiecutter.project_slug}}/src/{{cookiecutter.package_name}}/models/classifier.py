"""The LightningModule that trains any network as a classifier."""

import hydra
import torch
import torch.nn.functional as F
from torchmetrics import MetricCollection
from torchmetrics.classification import (
    MulticlassAccuracy,
    MulticlassF1Score,
    MulticlassPrecision,
    MulticlassRecall,
)

from {{ cookiecutter.package_name }}.models.supervised import SupervisedModule


class Classifier(SupervisedModule):
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
            network, input_shape=input_shape, num_outputs=num_classes
        )
        # Macro averages weigh every class equally, so a rare class counts as much as a common one.
        self.track_metrics(
            MetricCollection(
                {
                    "acc": MulticlassAccuracy(num_classes, average="micro"),
                    "precision": MulticlassPrecision(num_classes, average="macro"),
                    "recall": MulticlassRecall(num_classes, average="macro"),
                    "f1": MulticlassF1Score(num_classes, average="macro"),
                }
            )
        )

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.network(inputs)  # [B, num_classes] logits

    def loss(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(logits, labels)  # labels: [B] class indices

    def predict(self, inputs: torch.Tensor) -> torch.Tensor:
        """The predicted class of each example: the one with the highest score."""
        return self(inputs).argmax(dim=1)
