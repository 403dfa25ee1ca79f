"""A multilayer perceptron for tables of numeric (already encoded and scaled) features."""

import torch
from torch import nn


class MLP(nn.Module):
    """Fully connected layers with ReLU and dropout, ending in `num_outputs` values.

    A classifier asks for one score per class, a regressor for one number.
    """

    def __init__(
        self, input_shape: list[int], num_outputs: int, hidden: list[int], dropout: float = 0.0
    ) -> None:
        super().__init__()
        layers = []
        in_features = input_shape[0]
        for width in hidden:
            layers += [nn.Linear(in_features, width), nn.ReLU(), nn.Dropout(dropout)]
            in_features = width
        layers.append(nn.Linear(in_features, num_outputs))
        self.layers = nn.Sequential(*layers)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.layers(features)  # [B, num_features] -> [B, num_outputs]
