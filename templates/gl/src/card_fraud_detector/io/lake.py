"""A local data lake: Parquet files partitioned by zone and ingestion date.

`data/<zone>/ingest_date=YYYY-MM-DD/part-0.parquet`, the layout Spark, DuckDB and
pyarrow datasets all read as a partitioned table. Writes are atomic: a partition
is written to a temporary file and renamed, so a crash never leaves half a file.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pandas as pd

RAW = "raw"
VALIDATED = "validated"
PART = "part-0.parquet"


def partition_path(root: Path, zone: str, day: date) -> Path:
    return root / zone / f"ingest_date={day.isoformat()}" / PART


def write_partition(frame: pd.DataFrame, root: Path, zone: str, day: date) -> Path:
    """Write (or replace) one partition atomically."""
    path = partition_path(root, zone, day)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_parquet_atomic(frame, path)
    return path


def write_parquet_atomic(frame: pd.DataFrame, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    frame.to_parquet(tmp, index=False)
    tmp.replace(path)


def latest_partition(root: Path, zone: str) -> Path:
    """The newest partition of a zone (ISO dates sort as strings)."""
    partitions = sorted((root / zone).glob(f"ingest_date=*/{PART}"))
    if not partitions:
        raise FileNotFoundError(f"no partition in {root / zone}: run the previous step first")
    return partitions[-1]
