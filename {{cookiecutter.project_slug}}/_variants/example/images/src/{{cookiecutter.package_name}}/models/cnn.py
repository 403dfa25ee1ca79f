"""A small convolutional network whose depth follows the image size."""

import logging

import torch
from torch import nn

log = logging.getLogger(__name__)

SMALLEST_MAP = 3  # blocks are added until the feature map is this wide, or narrower


def channels_for(image_size: int, width: int, max_width: int) -> list[int]:
    """One block per halving until the feature map is 3x3 or smaller; widths double, up to a cap.

    8x8 digits get 2 blocks ([16, 32]), 40x40 images 4, 224x224 images 7: each network's last
    block sees the whole image, so it can recognise whole objects, at any size.
    """
    channels, size = [], image_size
    while size > SMALLEST_MAP or not channels:
        channels.append(min(width * 2 ** len(channels), max_width))
        size = -(-size // 2)  # each block halves the map (rounding up)
    return channels


class ConvNet(nn.Module):
    """Convolution blocks that each halve the image, then global pooling and a linear classifier.

    `channels` null: as many blocks as the image size needs (`channels_for`). A list: one block
    per entry, with that many channels. Global average pooling makes the output one score per
    class whatever the image size.
    """

    def __init__(
        self,
        input_shape: list[int],
        num_outputs: int,
        channels: list[int] | None = None,
        width: int = 16,
        max_width: int = 128,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        in_channels, height, width_px = input_shape
        if channels is None:
            channels = channels_for(max(height, width_px), width, max_width)
            log.info(
                "ConvNet: %d blocks %s for %dx%d images (the last one sees the whole image)",
                len(channels),
                channels,
                height,
                width_px,
            )
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
