"""A small convolutional network for images of any size."""

import torch
from torch import nn


class ConvNet(nn.Module):
    """Convolution blocks that each halve the image, then global pooling and a linear classifier.

    The global average pooling makes the network work for any image size, from 8x8 digits to
    large microscope images; more `channels` entries give more blocks and a larger receptive field.
    """

    def __init__(
        self, input_shape: list[int], num_outputs: int, channels: list[int], dropout: float = 0.0
    ) -> None:
        super().__init__()
        in_channels = input_shape[0]
        blocks = []
        for out_channels in channels:
            blocks += [
                nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1),
                nn.BatchNorm2d(out_channels),
                nn.ReLU(),
                nn.MaxPool2d(kernel_size=2, ceil_mode=True),
            ]
            in_channels = out_channels
        self.features = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(dropout), nn.Linear(in_channels, num_outputs))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = self.features(images)  # [B, C, H, W] -> [B, channels[-1], H / 2^blocks, W / 2^blocks]
        x = self.pool(x).flatten(1)  # -> [B, channels[-1]]
        return self.classifier(x)  # -> [B, num_outputs], unnormalised class scores (logits)
