"""Shared fixtures: isolated settings per test, and one real pipeline run per session."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from card_fraud_detector.core.schemas import FeatureRecord
from card_fraud_detector.io.sample_data import load_sample_data
from card_fraud_detector.jobs import pipeline
from card_fraud_detector.settings import Settings

SMALL_ROWS = 4000


def make_settings(root: Path, **overrides: Any) -> Settings:
    """Settings whose every path and store lives under `root`."""
    values: dict[str, Any] = {
        "data_dir": root / "data",
        "artifacts_dir": root / "artifacts",
        "reports_dir": root / "reports",
        "duckdb_path": root / "data" / "warehouse.duckdb",
        "mlflow_tracking_uri": f"sqlite:///{root / 'mlruns.db'}",
        "sample_rows": SMALL_ROWS,
        **overrides,
    }
    return Settings(_env_file=None, **values)


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    # MLflow puts artifacts of a SQLite store under ./mlruns: work inside tmp_path.
    monkeypatch.chdir(tmp_path)
    return make_settings(tmp_path)


@pytest.fixture(scope="session")
def sample_frame() -> pd.DataFrame:
    return load_sample_data(SMALL_ROWS, 7)


@pytest.fixture(scope="session")
def record(sample_frame: pd.DataFrame) -> dict[str, Any]:
    """One valid request record, as plain JSON types."""
    columns = list(FeatureRecord.model_fields)
    row: dict[str, Any] = json.loads(sample_frame[columns].head(1).to_json(orient="records"))[0]
    return row


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, pipeline.PipelineResult]]:
    """The real pipeline, run once: lake, MLflow store and registry under a temp dir."""
    root = tmp_path_factory.mktemp("lifecycle")
    previous = Path.cwd()
    os.chdir(root)
    try:
        settings = make_settings(root)
        yield settings, pipeline.run(settings)
    finally:
        os.chdir(previous)
