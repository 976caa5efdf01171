"""Validate: check the newest raw partition; only valid data reaches the validated zone.

On failure the report is written to reports/validation.json (missing columns, failures
counted per column and check, the first failures and failing rows with their values),
the step raises, and nothing downstream is written.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from datetime import date
from pathlib import Path

import pandas as pd

from ..core.validation import DataValidationError, validate
from ..io import lake
from ..settings import Settings

logger = logging.getLogger(__name__)


def report_path(settings: Settings) -> Path:
    return settings.reports_dir / "validation.json"


def run(settings: Settings, raw_path: Path | None = None) -> Path:
    """Validate `raw_path` (the newest raw partition if None); return the validated one."""
    raw_path = raw_path or lake.latest_partition(settings.data_dir, lake.RAW)
    typed, report = validate(pd.read_parquet(raw_path))
    out = report_path(settings)
    out.parent.mkdir(parents=True, exist_ok=True)
    summary = report.summary()
    document = {"source": str(raw_path), "ok": report.ok, "summary": summary, **asdict(report)}
    out.write_text(json.dumps(document, indent=2))
    if not report.ok:
        logger.error("validation failed", extra={"report": str(out), "summary": summary})
        raise DataValidationError(report)
    partition = raw_path.parent.name.removeprefix("ingest_date=")
    path = lake.partition_path(settings.data_dir, lake.VALIDATED, date.fromisoformat(partition))
    path.parent.mkdir(parents=True, exist_ok=True)
    lake.write_parquet_atomic(typed, path)
    logger.info("validated", extra={"rows": report.rows, "path": str(path)})
    return path
