"""Regression metrics and the plots logged with each run."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # headless: plots are files, never windows

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

# The promotion gate compares models on this metric: lower is better.
PRIMARY_METRIC = "rmse"
GREATER_IS_BETTER = False


def compute_metrics(
    target: np.ndarray, scores: np.ndarray, threshold: float | None = None
) -> dict[str, float]:
    """MAE, RMSE and R²."""
    return {
        "mae": float(mean_absolute_error(target, scores)),
        "rmse": float(np.sqrt(mean_squared_error(target, scores))),
        "r2": float(r2_score(target, scores)),
    }


def make_plots(
    target: np.ndarray, scores: np.ndarray, threshold: float | None = None
) -> dict[str, Figure]:
    """Predicted against actual, and residuals against predicted, by file stem."""
    figures: dict[str, Figure] = {}
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.scatter(target, scores, s=10, alpha=0.6)
    low, high = float(min(target.min(), scores.min())), float(max(target.max(), scores.max()))
    ax.plot([low, high], [low, high], color="black", linewidth=1)
    ax.set(xlabel="actual", ylabel="predicted", title="Predicted vs actual")
    figures["predicted_vs_actual"] = fig
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.scatter(scores, target - scores, s=10, alpha=0.6)
    ax.axhline(0, color="black", linewidth=1)
    ax.set(xlabel="predicted", ylabel="residual", title="Residuals")
    figures["residuals"] = fig
    return figures
