"""Evaluate: score the untouched test split, write metrics and plots, log them to the run."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import matplotlib.pyplot as plt
import mlflow
import pandas as pd

from ..core.metrics import compute_metrics, make_plots
from ..core.schemas import TARGET
from ..io import registry
from ..io.bundle import load_predictor
from ..settings import Settings
from . import state

logger = logging.getLogger(__name__)


def run(settings: Settings, run_id: str | None = None) -> dict[str, float]:
    """Evaluate training run `run_id` (the newest if None) on its test split."""
    last = state.load(settings, run_id)
    predictor = load_predictor(Path(last.bundle_dir))
    test = pd.read_parquet(last.test_path)
    target = test[TARGET].to_numpy()
    scores = predictor.scores(test)
    threshold = predictor.metadata.threshold
    metrics = {f"test_{k}": v for k, v in compute_metrics(target, scores, threshold).items()}

    settings.reports_dir.mkdir(parents=True, exist_ok=True)
    metrics_path = settings.reports_dir / "metrics.json"
    metrics_path.write_text(json.dumps({"run_id": last.run_id, **metrics}, indent=2))
    plot_paths: list[Path] = []
    for stem, figure in make_plots(target, scores, threshold).items():
        plot_paths.append(settings.reports_dir / f"{stem}.png")
        figure.savefig(plot_paths[-1], dpi=100, bbox_inches="tight")
        plt.close(figure)

    registry.configure(settings)
    with mlflow.start_run(run_id=last.run_id):
        mlflow.log_metrics(metrics)
        mlflow.log_artifact(str(metrics_path), artifact_path="reports")
        for path in plot_paths:
            mlflow.log_artifact(str(path), artifact_path="plots")
    logger.info("evaluated", extra={"run_id": last.run_id, **metrics})
    return metrics
