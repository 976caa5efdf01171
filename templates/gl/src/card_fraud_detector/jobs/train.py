"""Train: split the validated data, fit the transform and the model, log the run.

The decision threshold and validation metrics come from the validation split;
the test split is left untouched for the evaluate step.
"""

from __future__ import annotations

import logging
from pathlib import Path

import mlflow
import pandas as pd
from sklearn.model_selection import train_test_split

from ..core.features import FeatureTransformer
from ..core.metrics import choose_threshold, compute_metrics
from ..core.model import FRAMEWORK, Model
from ..core.predictor import ModelMetadata
from ..core.schemas import TARGET, TASK, FeatureRecord
from ..io import lake, registry
from ..io.bundle import write_bundle
from ..settings import Settings
from . import state
from .validate import report_path

logger = logging.getLogger(__name__)
SPLIT_FRACTIONS = {"train": 0.70, "valid": 0.15, "test": 0.15}


def split(frame: pd.DataFrame, seed: int) -> dict[str, pd.DataFrame]:
    """Train/valid/test split, stratified on the label so every split has fraud."""
    holdout = SPLIT_FRACTIONS["valid"] + SPLIT_FRACTIONS["test"]
    train, rest = train_test_split(
        frame, test_size=holdout, random_state=seed, stratify=frame[TARGET]
    )
    valid, test = train_test_split(
        rest,
        test_size=SPLIT_FRACTIONS["test"] / holdout,
        random_state=seed,
        stratify=rest[TARGET],
    )
    return {"train": train, "valid": valid, "test": test}


def run(settings: Settings, params: dict[str, object] | None = None) -> state.LastRun:
    validated = lake.latest_partition(settings.data_dir, lake.VALIDATED)
    splits = split(pd.read_parquet(validated), settings.seed)
    split_dir = settings.data_dir / "splits"
    split_dir.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for name, part in splits.items():
        paths[name] = split_dir / f"{name}.parquet"
        lake.write_parquet_atomic(part, paths[name])

    train, valid = splits["train"], splits["valid"]
    transformer = FeatureTransformer().fit(train)
    model = Model(params).fit(transformer.transform(train), train[TARGET].to_numpy())
    valid_target = valid[TARGET].to_numpy()
    valid_scores = model.scores(transformer.transform(valid))
    threshold = choose_threshold(valid_target, valid_scores)
    metrics = {f"valid_{k}": v for k, v in compute_metrics(valid_target, valid_scores, threshold).items()}
    fingerprint = registry.data_fingerprint(validated)

    registry.configure(settings)
    with mlflow.start_run() as active:
        run_id = active.info.run_id
        metadata = ModelMetadata(
            name=settings.model_name,
            task=TASK,
            framework=FRAMEWORK,
            features=list(FeatureRecord.model_fields),
            threshold=threshold,
            run_id=run_id,
            metrics=metrics,
        )
        write_bundle(settings.bundle_dir, transformer, model, metadata)
        mlflow.log_params({**model.params, **{f"rows_{k}": len(v) for k, v in splits.items()}})
        mlflow.log_params({"data_source": settings.data_source, "seed": settings.seed})
        mlflow.log_metrics(metrics)
        mlflow.log_metric("threshold", threshold)
        mlflow.set_tags(
            {
                "git_commit": registry.git_commit(),
                "data_fingerprint": fingerprint,
                "data_path": str(validated),
                "task": TASK,
                "framework": FRAMEWORK,
            }
        )
        mlflow.log_artifacts(str(settings.bundle_dir), artifact_path=registry.BUNDLE_ARTIFACT_PATH)
        if report_path(settings).is_file():
            mlflow.log_artifact(str(report_path(settings)), artifact_path="reports")

    last = state.LastRun(
        run_id=run_id,
        bundle_dir=str(settings.bundle_dir),
        train_path=str(paths["train"]),
        valid_path=str(paths["valid"]),
        test_path=str(paths["test"]),
        data_fingerprint=fingerprint,
    )
    state.save(settings, last)
    logger.info("trained", extra={"run_id": run_id, **metrics, "threshold": threshold})
    return last

