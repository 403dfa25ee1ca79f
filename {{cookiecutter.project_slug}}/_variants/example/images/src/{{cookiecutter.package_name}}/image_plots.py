"""Figures of image data: test images with their predicted and true classes."""

import numpy as np
from matplotlib.figure import Figure


def image_grid(
    images: np.ndarray, labels: np.ndarray, predictions: np.ndarray, class_names: list[str]
) -> Figure:
    """Test images titled with the predicted and true class; wrong predictions in red."""
    columns = 8
    rows = -(-len(images) // columns)  # ceiling division
    figure = Figure(figsize=(1.6 * columns, 1.9 * rows), layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False)
    for axis in np.ravel(axes):
        axis.axis("off")
    shown = zip(np.ravel(axes), images, labels, predictions, strict=False)
    for axis, image, label, predicted in shown:
        pixels = image.transpose(1, 2, 0)  # [C, H, W] -> [H, W, C], the order matplotlib shows
        axis.imshow(pixels.squeeze(-1) if pixels.shape[-1] == 1 else pixels, cmap="gray")
        title = f"pred {class_names[predicted]}\ntrue {class_names[label]}"
        axis.set_title(title, color="black" if label == predicted else "red", fontsize=9)
    figure.suptitle("Test images: predicted and true class")
    return figure
