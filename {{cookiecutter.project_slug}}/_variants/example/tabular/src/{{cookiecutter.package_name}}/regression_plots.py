"""Figures of a regression: each prediction against its true value."""

import numpy as np
from matplotlib.figure import Figure
from sklearn.metrics import r2_score


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
