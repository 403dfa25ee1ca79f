"""Figures are readable on their own: a title, axis labels, and the class names."""

import numpy as np
import pytest

from {{ cookiecutter.package_name }} import plots

CLASSES = ["cloud", "clear", "fog"]
LABELS = np.array([0, 0, 1, 1, 2, 2])
PREDICTIONS = np.array([0, 1, 1, 1, 2, 0])


def texts(axis) -> dict[str, object]:
    return {
        "title": axis.get_title(),
        "xlabel": axis.get_xlabel(),
        "ylabel": axis.get_ylabel(),
        "xticks": [label.get_text() for label in axis.get_xticklabels()],
    }


def test_confusion_matrix_counts_and_names_classes() -> None:
    figure = plots.confusion_matrix(LABELS, PREDICTIONS, CLASSES)
    axis = figure.axes[0]
    assert texts(axis)["xticks"] == CLASSES and "true" in axis.get_ylabel()
    assert "Confusion" in axis.get_title()
    cell_counts = [int(text.get_text()) for text in axis.texts]  # row by row
    assert cell_counts == [1, 1, 0, 0, 2, 0, 1, 0, 1]


def test_precision_recall_bars_per_class() -> None:
    figure = plots.precision_recall(LABELS, PREDICTIONS, CLASSES)
    axis = figure.axes[0]
    assert texts(axis)["xticks"] == CLASSES and axis.get_title() and axis.get_ylabel()
    heights = [bar.get_height() for bar in axis.patches]
    # precision of cloud: 1 of 2 predicted clouds is one; recall of clear: both clear ones found
    assert heights[0] == pytest.approx(0.5) and heights[3 + 1] == pytest.approx(1.0)


def test_learning_curves_show_train_and_val_per_epoch() -> None:
    epochs = [
        {"epoch": e, "train/loss_epoch": 1 / (e + 1), "val/loss": 1.2 / (e + 1), "val/acc": 0.4}
        for e in range(3)
    ]
    loss_axis, acc_axis = plots.learning_curves(epochs).axes
    assert [line.get_label() for line in loss_axis.lines] == ["train", "val"]
    assert list(loss_axis.lines[1].get_ydata()) == pytest.approx([1.2, 0.6, 0.4])
    assert loss_axis.get_xlabel() == "epoch" and acc_axis.get_ylabel() == "acc"


def test_learning_curves_of_a_run_without_validation_draw_no_empty_legend() -> None:
    """A run stopped before its first validation has a training loss and nothing else."""
    loss_axis, acc_axis = plots.learning_curves([{"epoch": 0, "train/loss_epoch": 0.9}]).axes
    assert [line.get_label() for line in loss_axis.lines] == ["train"] and loss_axis.get_legend()
    assert not acc_axis.lines and acc_axis.get_legend() is None  # matplotlib would warn


def test_save_writes_a_png(tmp_path) -> None:
    figure = plots.confusion_matrix(LABELS, PREDICTIONS, CLASSES)
    path = plots.save(figure, tmp_path / "a" / "cm.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
