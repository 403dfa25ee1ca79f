{%- if cookiecutter.example_task == "images" -%}
"""Figures of a run: learning curves, confusion matrix, per-class precision and recall, test images.

Each function returns a matplotlib figure with a title, axis labels and class names, so that it can
be read on its own in reports/figures/<run>/ or in W&B. `save` writes it as a PNG file.
{%- else -%}
"""Figures of a run: learning curves; for a classifier, the confusion matrix and per-class
precision and recall; for a regressor, predicted against true values.

Each function returns a matplotlib figure with a title, axis labels, and class names or the
target's name and unit, so that it can be read on its own in reports/figures/<run>/ or in W&B.
`save` writes it as a PNG file.
{%- endif %}

Figures are made as `Figure` objects, not through pyplot: they need no window or display (servers,
SLURM jobs), and importing this module leaves a notebook's own plotting as it was.
"""

from pathlib import Path

import lightning as L
import numpy as np
from matplotlib.figure import Figure
{%- if cookiecutter.example_task == "images" %}
from sklearn.metrics import ConfusionMatrixDisplay, precision_recall_fscore_support
{%- else %}
from sklearn.metrics import ConfusionMatrixDisplay, precision_recall_fscore_support, r2_score
{%- endif %}


class EpochHistory(L.Callback):
    """Collects the epoch-level train and validation metrics, for the learning-curve figure."""

    def __init__(self) -> None:
        self.epochs: list[dict[str, float]] = []

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # Validation has already run for this epoch, so both train/* and val/* values are here.
        metrics = {name: float(value) for name, value in trainer.callback_metrics.items()}
        self.epochs.append({"epoch": trainer.current_epoch, **metrics})


def learning_curves(epochs: list[dict[str, float]], metric: str = "acc") -> Figure:
    """Train and validation loss, and one metric, per epoch: over-fitting shows as a gap."""
    figure = Figure(figsize=(10, 4), layout="constrained")
    axes = figure.subplots(1, 2)
    x = [row["epoch"] for row in epochs]
    for axis, name in zip(axes, ["loss", metric], strict=True):
        for stage in ("train", "val"):
            # A value logged per step and per epoch has its epoch mean under "<name>_epoch".
            keys = [f"{stage}/{name}_epoch", f"{stage}/{name}"]
            values = [next((row[k] for k in keys if k in row), np.nan) for row in epochs]
            axis.plot(x, values, marker="o", label=stage)
        axis.set(title=f"{name} per epoch", xlabel="epoch", ylabel=name)
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
{%- if cookiecutter.example_task == "tabular" %}


def predicted_vs_true(
    targets: np.ndarray, predictions: np.ndarray, target_name: str, unit: str = ""
) -> Figure:
    """Each test example's prediction against its true value; on the line y = x, a perfect one.

    Points above the line are over-estimates. A cloud flatter than the line means predictions
    pulled towards the mean: the extremes, rare in training, are the hardest to predict.
    """
    label = f"{target_name} ({unit})" if unit else target_name
    mae = np.abs(predictions - targets).mean()
    figure = Figure(figsize=(5.5, 5.5), layout="constrained")
    axis = figure.subplots()
    axis.scatter(targets, predictions, s=14, alpha=0.7, label="test examples")
    low, high = min(targets.min(), predictions.min()), max(targets.max(), predictions.max())
    axis.plot([low, high], [low, high], color="black", linestyle="--", label="y = x (perfect)")
    axis.set_aspect("equal")
    axis.set(
        title=f"Predicted vs true (test split)\nR² {r2_score(targets, predictions):.3f}, "
        f"MAE {mae:.3g}{' ' + unit if unit else ''}",
        xlabel=f"true {label}",
        ylabel=f"predicted {label}",
    )
    axis.legend(loc="upper left")
    return figure
{%- endif %}
{%- if cookiecutter.example_task == "images" %}


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
{%- endif %}


def save(figure: Figure, path: Path) -> Path:
    """Write the figure as a PNG file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    return path
