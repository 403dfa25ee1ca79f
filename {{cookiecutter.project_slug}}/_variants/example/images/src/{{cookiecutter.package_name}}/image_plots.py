"""Figures of image data: test images with their predicted and true classes, any grid of images."""

import numpy as np
from matplotlib.figure import Figure

COLUMNS = 8


def picture_grid(
    images: np.ndarray, titles: list[str], suptitle: str, colours: list[str] | None = None
) -> Figure:
    """Images [N, C, H, W] (uint8) in rows of 8, each with its title."""
    rows = -(-len(images) // COLUMNS)  # ceiling division
    figure = Figure(figsize=(1.6 * COLUMNS, 1.9 * rows), layout="constrained")
    axes = figure.subplots(rows, COLUMNS, squeeze=False)
    for axis in np.ravel(axes):
        axis.axis("off")
    colours = colours or ["black"] * len(images)
    for axis, image, title, colour in zip(np.ravel(axes), images, titles, colours, strict=False):
        pixels = image.transpose(1, 2, 0)  # [C, H, W] -> [H, W, C], the order matplotlib shows
        axis.imshow(pixels.squeeze(-1) if pixels.shape[-1] == 1 else pixels, cmap="gray")
        axis.set_title(title, color=colour, fontsize=9)
    figure.suptitle(suptitle)
    return figure


def image_grid(
    images: np.ndarray, labels: np.ndarray, predictions: np.ndarray, class_names: list[str]
) -> Figure:
    """Test images titled with the predicted and true class; wrong predictions in red."""
    pairs = list(zip(labels, predictions, strict=True))
    titles = [f"pred {class_names[p]}\ntrue {class_names[t]}" for t, p in pairs]
    colours = ["black" if t == p else "red" for t, p in pairs]
    return picture_grid(images, titles, "Test images: predicted and true class", colours)
