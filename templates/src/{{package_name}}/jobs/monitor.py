"""Monitor: the latest window of served records against the champion's training reference.

One run reads the records the servers logged in the last MONITOR_WINDOW_HOURS
(io/inference_log.py), compares them with the reference the champion's training run
logged (core/drift.py, Evidently), and, where labels have arrived (LABELS_PATH, joined
on `record_id`), scores the window too: continuous validation. It writes a
self-contained HTML report and a JSON summary under `reports/monitor/<time>/`, logs
both to MLflow with the distances as metrics, writes the gauges Prometheus reads
(`reports/monitor/metrics.prom`), appends the window to the champion's history and
applies the retraining rule (core/retrain_rule.py) to it. Retraining itself is the
caller's: the CLI's `monitor --retrain`, or the orchestrator's conditional step.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
from mlflow.exceptions import MlflowException
from prometheus_client import CollectorRegistry, Gauge, write_to_textfile

from ..core.drift import DriftSummary, compare, output_name
from ..core.metrics import GREATER_IS_BETTER, PRIMARY_METRIC, compute_metrics
from ..core.retrain_rule import RetrainDecision, RetrainRule
from ..core.schemas import TARGET
from ..io import inference_log, registry
from ..settings import Settings

logger = logging.getLogger(__name__)
REFERENCE_ARTIFACT_PATH = "monitoring"
REFERENCE_FILE = "reference.parquet"
# Ranking metrics need both classes (and a regression's, two values) among the labels.
MIN_DISTINCT_TARGETS = 2


@dataclass(frozen=True)
class MonitorResult:
    champion_version: str
    window_rows: int
    breached: bool | None  # None: too few records to judge
    decision: RetrainDecision
    report_dir: str | None = None
    drift: dict[str, Any] = field(default_factory=dict)
    validation: dict[str, float] = field(default_factory=dict)


def history_path(settings: Settings) -> Path:
    return settings.monitor_dir / "history.jsonl"


def _reference(settings: Settings, run_id: str) -> pd.DataFrame:
    uri = f"runs:/{run_id}/{REFERENCE_ARTIFACT_PATH}"
    try:
        with registry.downloaded_bundle(uri, settings.mlflow_tracking_uri) as folder:
            return pd.read_parquet(folder / REFERENCE_FILE)
    except (OSError, MlflowException) as error:
        raise FileNotFoundError(
            f"the champion's run {run_id} logged no {REFERENCE_ARTIFACT_PATH}/{REFERENCE_FILE}: "
            "retrain it once (make pipeline) so monitoring has a reference"
        ) from error


def _history(settings: Settings, version: str) -> list[bool]:
    """The champion's windows so far, oldest first: a new champion starts afresh."""
    path = history_path(settings)
    if not path.is_file():
        return []
    entries = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [bool(e["breached"]) for e in entries if e["champion_version"] == version]


def _validation(
    settings: Settings, window: pd.DataFrame, threshold: float | None
) -> dict[str, float]:
    """The task's metrics on the window's labelled records (none without labels)."""
    if settings.labels_path is None or not settings.labels_path.is_file():
        return {}
    path = settings.labels_path
    labels = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    missing = {inference_log.RECORD_ID, TARGET} - set(labels.columns)
    if missing:
        raise ValueError(f"{path}: no column {sorted(missing)}")
    key = inference_log.RECORD_ID
    known = labels[[key, TARGET]].astype({key: str})  # ids read from a CSV may parse as numbers
    joined = window.astype({key: str}).merge(known, on=key, how="inner")
    if joined.empty or joined[TARGET].nunique() < MIN_DISTINCT_TARGETS:
        return {"labelled_rows": float(len(joined))}  # too few to score
    metrics = compute_metrics(
        joined[TARGET].to_numpy(), joined[output_name()].to_numpy(dtype=float), threshold
    )
    return {**metrics, "labelled_rows": float(len(joined))}


def _degraded(settings: Settings, validation: dict[str, float], trained: float | None) -> bool:
    """The window's primary metric fell more than MAX_METRIC_DROP below training's."""
    if trained is None or PRIMARY_METRIC not in validation:
        return False
    drop = trained - validation[PRIMARY_METRIC]
    return (drop if GREATER_IS_BETTER else -drop) > settings.max_metric_drop


def _gauges(
    settings: Settings, version: str, rows: int, drift: DriftSummary | None, retrain: bool
) -> None:
    """The gauges Prometheus scrapes: every server re-exports this file (serving/telemetry.py)."""
    gauges = CollectorRegistry()
    labels = {"champion_version": version}

    def gauge(name: str, help_text: str, value: float, **extra: str) -> None:
        metric = Gauge(name, help_text, [*labels, *extra], registry=gauges)
        metric.labels(**labels, **extra).set(value)

    finished = datetime.now(UTC).timestamp()
    gauge("monitor_last_run_timestamp_seconds", "When monitor last finished", finished)
    gauge("monitor_window_rows", "Logged records in the monitored window", rows)
    gauge("monitor_retrain_recommended", "1 when the retraining rule fired", float(retrain))
    if drift is not None:
        gauge("model_drift_share", "Share of features that drifted", drift.drifted_share)
        gauge("model_output_drift", "Distance of the model output", drift.output.distance)
        gauge("monitor_window_breached", "1 when the window breached", float(drift.breached))
        feature = Gauge(
            "model_feature_drift", "Distance per feature", [*labels, "feature"], registry=gauges
        )
        for column in drift.features:
            feature.labels(**labels, feature=column.column).set(column.distance)
    path = settings.monitor_gauges_path
    path.parent.mkdir(parents=True, exist_ok=True)
    write_to_textfile(str(path), gauges)  # written to a temporary file, then renamed


def run(settings: Settings, now: datetime | None = None) -> MonitorResult:
    """Monitor the champion's latest window; the decision says whether to retrain."""
    now = now or datetime.now(UTC)
    client = registry.configure(settings)
    champion = registry.champion(client, settings.model_name)
    if champion is None or champion.run_id is None:
        raise FileNotFoundError(
            f"no {registry.CHAMPION} for {settings.model_name}: run the pipeline first"
        )
    logged = inference_log.read_window(
        settings.data_dir, now - timedelta(hours=settings.monitor_window_hours)
    )
    # What this champion scored: an earlier model's outputs say nothing of this one, and a
    # new champion's windows start afresh, like its history.
    window = (
        logged[logged[inference_log.MODEL_VERSION] == champion.version]
        if not logged.empty
        else logged
    )
    rule = RetrainRule(settings.retrain_breaches, settings.retrain_windows)
    history = _history(settings, champion.version)
    if len(window) < settings.monitor_min_rows:
        decision = RetrainDecision(
            False,
            f"{len(window)} records of version {champion.version} logged in the last "
            f"{settings.monitor_window_hours} h, "
            f"fewer than MONITOR_MIN_ROWS={settings.monitor_min_rows}: nothing judged",
        )
        _gauges(settings, champion.version, len(window), None, retrain=False)
        logger.info("monitored", extra={"rows": len(window), "reason": decision.reason})
        return MonitorResult(champion.version, len(window), None, decision)

    reference = _reference(settings, champion.run_id)
    drift, snapshot = compare(reference, window, settings.drift_threshold, settings.drift_share)
    trained_run = client.get_run(champion.run_id).data.metrics
    validation = _validation(settings, window, trained_run.get("threshold"))
    breached = drift.breached or _degraded(
        settings, validation, trained_run.get(f"valid_{PRIMARY_METRIC}")
    )
    decision = rule.decide([*history, breached])

    report_dir = settings.monitor_dir / now.strftime("%Y%m%dT%H%M%S%fZ")
    report_dir.mkdir(parents=True, exist_ok=True)
    snapshot.save_html(str(report_dir / "report.html"))
    summary = {
        "at": now.isoformat(),
        "champion_version": champion.version,
        "breached": breached,
        "retrain": decision.retrain,
        "reason": decision.reason,
        "drift": drift.as_dict(),
        "validation": validation,
    }
    (report_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    entry = {key: summary[key] for key in ("at", "champion_version", "breached")}
    with history_path(settings).open("a") as stream:
        stream.write(json.dumps(entry) + "\n")
    _gauges(settings, champion.version, len(window), drift, decision.retrain)

    mlflow.set_experiment(f"{settings.mlflow_experiment_name}-monitoring")
    with mlflow.start_run(run_name=f"monitor-{report_dir.name}"):
        mlflow.set_tags({"champion_version": champion.version, "decision": decision.reason})
        mlflow.log_metrics(
            {
                "drifted_share": drift.drifted_share,
                "output_drift": drift.output.distance,
                "window_rows": float(len(window)),
                "breached": float(breached),
                "retrain": float(decision.retrain),
                **{f"drift_{c.column}": c.distance for c in drift.features},
                **{f"window_{k}": v for k, v in validation.items()},
            }
        )
        mlflow.log_artifacts(str(report_dir), artifact_path="monitor")
    logger.info("monitored", extra={k: v for k, v in summary.items() if k != "drift"})
    return MonitorResult(
        champion.version,
        len(window),
        breached,
        decision,
        str(report_dir),
        drift.as_dict(),
        validation,
    )


def reference_frame(features: pd.DataFrame, scores: Any, rows: int, seed: int) -> pd.DataFrame:
    """What training logs for monitoring: a sample of its features, with the model's output."""
    frame = features.assign(**{output_name(): scores})
    return frame.sample(n=min(rows, len(frame)), random_state=seed).reset_index(drop=True)
