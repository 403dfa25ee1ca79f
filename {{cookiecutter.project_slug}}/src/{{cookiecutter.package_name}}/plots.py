"""Figures of a run that any classifier draws: learning curves, confusion matrix, per-class
precision and recall. Examples add their own (predicted vs true values, test images) beside them.

Each function returns a matplotlib figure with a title, axis labels and class names, so that it can
be read on its own in reports/figures/<run>/ or in W&B. `save` writes it as a PNG file.

Figures are made as `Figure` objects, not through pyplot: they need no window or display (servers,
SLURM jobs), and importing this module leaves a notebook's own plotting as it was.
"""

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from sklearn.metrics import ConfusionMatrixDisplay, precision_recall_fscore_support


def learning_curves(epochs: list[dict[str, float]], metric: str = "acc") -> Figure:
    """Train and validation loss, and one validation metric, per epoch: over-fitting shows as a
    gap between the losses. (Training logs no metrics but its loss: see SupervisedModule.)"""
    figure = Figure(figsize=(10, 4), layout="constrained")
    axes = figure.subplots(1, 2)
    x = [row["epoch"] for row in epochs]
    for axis, name in zip(axes, ["loss", metric], strict=True):
        for stage in ("train", "val"):
            # A value logged per step and per epoch has its epoch mean under "<name>_epoch".
            keys = [f"{stage}/{name}_epoch", f"{stage}/{name}"]
            values = [next((row[k] for k in keys if k in row), np.nan) for row in epochs]
            if not np.isnan(values).all():
                axis.plot(x, values, marker="o", label=stage)
        axis.set(title=f"{name} per epoch", xlabel="epoch", ylabel=name)
        if axis.lines:  # no curve (a run of no full epoch): no legend to draw
            axis.legend()
    figure.suptitle("Learning curves")
    return figure


def confusion_matrix(labels: np.ndarray, predictions: np.ndarray, class_names: list[str]) -> Figure:
    """How often each true class (rows) was predicted as each class (columns) on the test split."""
    figure = Figure(figsize=(2 + 0.6 * len(class_names),) * 2, layout="constrained")
    axis = figure.subplots()
    ConfusionMatrixDisplay.from_predictions(
        labels, predictions, labels=range(len(class_names)), display_labels=class_names,
        ax=axis, colorbar=False, xticks_rotation=45,
    )  # fmt: skip
    axis.set(title="Confusion matrix (test split)", xlabel="predicted class", ylabel="true class")
    return figure


def precision_recall(labels: np.ndarray, predictions: np.ndarray, class_names: list[str]) -> Figure:
    """Precision and recall of every class: which classes the model finds, and which it confuses."""
    precision, recall, _, _ = precision_recall_fscore_support(
        labels, predictions, labels=range(len(class_names)), zero_division=0
    )
    figure = Figure(figsize=(2 + 0.6 * len(class_names), 4), layout="constrained")
    axis = figure.subplots()
    positions = np.arange(len(class_names))
    axis.bar(positions - 0.2, precision, width=0.4, label="precision")
    axis.bar(positions + 0.2, recall, width=0.4, label="recall")
    axis.set_xticks(positions, class_names, rotation=45)
    axis.set(title="Precision and recall per class (test split)", xlabel="class", ylabel="score")
    axis.set_ylim(0, 1.25)  # room above the bars for the legend
    axis.legend(loc="upper center", ncols=2)
    return figure


def save(figure: Figure, path: Path) -> Path:
    """Write the figure as a PNG file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    return path
