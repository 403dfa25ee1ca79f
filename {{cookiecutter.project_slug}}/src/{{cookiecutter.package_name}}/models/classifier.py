"""The LightningModule that trains any network as a classifier."""

import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure
from torchmetrics import MetricCollection
from torchmetrics.classification import (
    MulticlassAccuracy,
    MulticlassF1Score,
    MulticlassPrecision,
    MulticlassRecall,
)

from {{ cookiecutter.package_name }} import plots
from {{ cookiecutter.package_name }}.data.info import DataInfo
from {{ cookiecutter.package_name }}.errors import UserError
from {{ cookiecutter.package_name }}.models.supervised import SupervisedModule


class Classifier(SupervisedModule):
    """Trains a network with cross-entropy; reports accuracy, and macro precision, recall and F1.

    `Classifier(network, data, optimizer, scheduler)`, each a plain dict (see SupervisedModule).
    """

    curve_metric = "acc"

    def __init__(
        self, network: dict, data: dict, optimizer: dict, scheduler: dict | None = None
    ) -> None:
        super().__init__(network, data, optimizer, scheduler)
        num_classes = len(self.info.class_names)
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

    def check_data(self, info: DataInfo) -> None:
        if info.task != "classification":
            raise UserError(
                f"A Classifier predicts a class, but the data asks for {info.describe()}: use a "
                "model that predicts a number (see configs/model/), or prepare data with classes."
            )

    def num_outputs(self, info: DataInfo) -> int:
        return len(info.class_names)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.network(inputs)  # [B, num_classes] logits

    def loss(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(logits, labels)  # labels: [B] class indices

    def predict(self, inputs: torch.Tensor) -> torch.Tensor:
        """The predicted class of each example: the one with the highest score."""
        return self(inputs).argmax(dim=1)

    def predict_output(self, inputs: torch.Tensor) -> torch.Tensor:
        """The probability of each class, for `make predict`: [B, num_classes]."""
        return self(inputs).softmax(dim=1)

    def test_figures(self, targets: np.ndarray, predictions: np.ndarray) -> dict[str, Figure]:
        names = self.info.class_names
        return {
            "confusion_matrix": plots.confusion_matrix(targets, predictions, names),
            "precision_recall": plots.precision_recall(targets, predictions, names),
        }
