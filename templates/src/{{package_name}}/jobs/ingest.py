"""Ingest: read the configured source and land it in the lake's raw zone."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

from ..io import lake
from ..io.sources import load_source
from ..settings import Settings

logger = logging.getLogger(__name__)


def run(settings: Settings) -> Path:
    frame = load_source(settings)
    day = datetime.now(UTC).date()
    path = lake.write_partition(frame, settings.data_dir, lake.RAW, day)
    logger.info(
        "ingested", extra={"rows": len(frame), "path": str(path), "source": settings.data_source}
    )
    return path
