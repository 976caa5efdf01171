"""Classification metrics, the decision threshold, and the plots logged with each run.

The threshold is chosen on validation data (best F1), never on the test split,
and shipped in the model bundle so the server applies the same cut-off.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # headless: plots are files, never windows

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from sklearn.metrics import (
    ConfusionMatrixDisplay,
    PrecisionRecallDisplay,
    RocCurveDisplay,
    average_precision_score,
    f1_score,
    precision_recall_curve,
    precision_score,
    recall_score,
    roc_auc_score,
)

from .schemas import decision_threshold

# The promotion gate compares models on this metric (area under the PR curve
# suits rare positives better than ROC-AUC).
PRIMARY_METRIC = "pr_auc"
GREATER_IS_BETTER = True


def choose_threshold(target: np.ndarray, scores: np.ndarray) -> float:
    """The score cut-off with the best F1 on validation data."""
    precision, recall, thresholds = precision_recall_curve(target, scores)
    f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-12)
    # precision/recall have one more point than thresholds (recall 0 at the end).
    best = int(np.argmax(f1[:-1])) if len(thresholds) else 0
    return float(thresholds[best]) if len(thresholds) else 0.5


def compute_metrics(
    target: np.ndarray, scores: np.ndarray, threshold: float | None
) -> dict[str, float]:
    """Threshold-free ranking metrics and the metrics of the decisions at `threshold`."""
    decisions = (scores >= decision_threshold(threshold)).astype(int)
    return {
        "precision": float(precision_score(target, decisions, zero_division=0)),
        "recall": float(recall_score(target, decisions, zero_division=0)),
        "f1": float(f1_score(target, decisions, zero_division=0)),
        "roc_auc": float(roc_auc_score(target, scores)),
        "pr_auc": float(average_precision_score(target, scores)),
        "positive_rate": float(decisions.mean()),
    }


def make_plots(
    target: np.ndarray, scores: np.ndarray, threshold: float | None
) -> dict[str, Figure]:
    """Confusion matrix, ROC and precision-recall curves, by file stem."""
    figures: dict[str, Figure] = {}
    threshold = decision_threshold(threshold)
    decisions = (scores >= threshold).astype(int)
    fig, ax = plt.subplots(figsize=(5, 4))
    ConfusionMatrixDisplay.from_predictions(target, decisions, ax=ax, colorbar=False)
    ax.set_title(f"Confusion matrix (threshold {threshold:.3f})")
    figures["confusion_matrix"] = fig
    fig, ax = plt.subplots(figsize=(5, 4))
    RocCurveDisplay.from_predictions(target, scores, ax=ax)
    figures["roc_curve"] = fig
    fig, ax = plt.subplots(figsize=(5, 4))
    PrecisionRecallDisplay.from_predictions(target, scores, ax=ax)
    figures["pr_curve"] = fig
    return figures
