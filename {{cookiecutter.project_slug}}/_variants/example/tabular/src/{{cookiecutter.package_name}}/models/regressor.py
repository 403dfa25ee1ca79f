"""The LightningModule that trains any network to predict a number (regression)."""

import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure
from torchmetrics import MeanAbsoluteError, MeanSquaredError, MetricCollection, R2Score

from {{ cookiecutter.package_name }}.data.info import DataInfo
from {{ cookiecutter.package_name }}.errors import UserError
from {{ cookiecutter.package_name }}.models.supervised import SupervisedModule
from {{ cookiecutter.package_name }}.regression_plots import predicted_vs_true


class Regressor(SupervisedModule):
    """Trains a network with the mean squared error; reports MAE, RMSE and R².

    The network learns the standardised target (mean 0 and std 1 on the training rows), so the
    same learning rate suits grams and kilometres. Its outputs are turned back into the target's
    own units: the metrics and figures say "off by 300 g", not "off by 0.4 std".
    """

    curve_metric = "mae"

    def __init__(
        self, network: dict, data: dict, optimizer: dict, scheduler: dict | None = None
    ) -> None:
        super().__init__(network, data, optimizer, scheduler)
        self.track_metrics(
            MetricCollection(
                {
                    "mae": MeanAbsoluteError(),
                    "rmse": MeanSquaredError(squared=False),
                    "r2": R2Score(),
                }
            )
        )

    def check_data(self, info: DataInfo) -> None:
        if info.task != "regression":
            raise UserError(
                f"A Regressor predicts a number, but the data asks for {info.describe()}: prepare "
                "the data for a numeric target (configs/experiment/body_mass.yaml shows how), or "
                "use the classifier (model=default)."
            )

    def num_outputs(self, info: DataInfo) -> int:
        return 1

    def standardise(self, values: torch.Tensor) -> torch.Tensor:
        return (values - self.info.target_mean) / self.info.target_std

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        standardised = self.network(inputs).squeeze(-1)  # [B, 1] -> [B]
        return standardised * self.info.target_std + self.info.target_mean  # in the target's units

    def loss(self, predictions: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        # On the standardised scale: a loss near 1 is no better than always guessing the mean.
        return F.mse_loss(self.standardise(predictions), self.standardise(targets))

    def predict(self, inputs: torch.Tensor) -> torch.Tensor:
        """The predicted value of each example, in the target's units."""
        return self(inputs)

    def test_figures(self, targets: np.ndarray, predictions: np.ndarray) -> dict[str, Figure]:
        figure = predicted_vs_true(targets, predictions, self.info.target, self.info.target_unit)
        return {"predicted_vs_true": figure}
