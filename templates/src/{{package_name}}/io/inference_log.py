"""A sample of what the service scored, written to the lake off the request path.

`record()` costs a request a random draw per record and one put on a bounded queue; a
daemon thread turns the queue into Parquet files of the lake's `inference` zone,
`data/inference/ingest_date=YYYY-MM-DD/part-<time>-<pid>-<n>.parquet`, each written to a
temporary name and renamed, so the monitor never reads half a file. A full queue drops
the batch and a failed write (full disk, read-only volume) drops what it held: both are
counted and logged, never raised, because monitoring must not take serving down with it.
"""

from __future__ import annotations

import logging
import os
import queue
import random
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel

from ..core.drift import output_column
from ..settings import Settings
from . import lake

logger = logging.getLogger(__name__)
ZONE = "inference"
RECORD_ID = "record_id"
LOGGED_AT = "logged_at"
MODEL_VERSION = "model_version"
WARN_EVERY_SECONDS = 60.0
_STOP = object()


@dataclass
class LogCounts:
    """What happened to the records offered to the log since it started."""

    sampled: int = 0  # kept by the sampling draw
    written: int = 0  # on disk
    dropped: int = 0  # queue full, or the write failed


class InferenceLog:
    """Samples scored records and writes them to the lake from a thread of its own."""

    def __init__(
        self,
        data_dir: Path,
        rate: float,
        *,
        max_batches: int = 1000,
        flush_rows: int = 5000,
        flush_seconds: float = 5.0,
        seed: int | None = None,
    ) -> None:
        self.root = data_dir / ZONE
        self.rate = rate
        self.flush_rows = flush_rows
        self.flush_seconds = flush_seconds
        self.counts = LogCounts()
        # Told the counts whenever they change (a server's gauges), under the log's lock.
        self.on_count: Callable[[LogCounts], None] | None = None
        self._random = random.Random(seed)  # noqa: S311 (a sample, not a secret)
        self._queue: queue.Queue[object] = queue.Queue(maxsize=max_batches)
        self._lock = threading.Lock()
        self._files = 0
        self._warned = -WARN_EVERY_SECONDS
        self._thread = threading.Thread(target=self._drain, name="inference-log", daemon=True)
        self._thread.start()

    @classmethod
    def from_settings(cls, settings: Settings) -> InferenceLog:
        """The log as INFERENCE_LOG_* configure it, into DATA_DIR's lake."""
        return cls(
            settings.data_dir,
            settings.inference_log_rate,
            max_batches=settings.inference_log_queue,
            flush_seconds=settings.inference_log_flush_seconds,
        )

    def record(
        self,
        records: Sequence[Mapping[str, Any] | BaseModel],
        predictions: Sequence[Mapping[str, Any] | BaseModel],
        model_version: str | None,
        ids: Sequence[str] | None = None,
    ) -> None:
        """Offer a scored batch; the sampled part is queued, never waited on."""
        if self.rate <= 0 or not records:
            return
        everything = self.rate >= 1
        kept = [i for i in range(len(records)) if everything or self._random.random() < self.rate]
        if not kept:
            return
        # The rows are built by the writer thread: the request only pays for the draw.
        batch = _Batch(records, predictions, model_version, ids, kept, datetime.now(UTC))
        try:
            self._queue.put_nowait(batch)
        except queue.Full:
            self._count(dropped=len(kept))
            self._warn("inference log queue full, batch dropped", rows=len(kept))
            return
        self._count(sampled=len(kept))

    def flush(self, timeout: float = 30.0) -> None:
        """Wait until everything queued so far is written (tests, shutdown)."""
        done = threading.Event()
        self._queue.put(done)
        done.wait(timeout)

    def close(self, timeout: float = 30.0) -> None:
        """Write what is queued and stop the thread (a stuck disk cannot hold shutdown)."""
        if self._thread.is_alive():
            try:
                self._queue.put(_STOP, timeout=timeout)
            except queue.Full:
                return
            self._thread.join(timeout)

    def _warn(self, message: str, **extra: object) -> None:
        """Log at most once a minute: a full disk must not flood the logs either."""
        now = time.monotonic()
        if now - self._warned >= WARN_EVERY_SECONDS:
            self._warned = now
            logger.warning(message, extra={**extra, "counts": vars(self.counts)})

    def _count(self, sampled: int = 0, written: int = 0, dropped: int = 0) -> None:
        with self._lock:
            self.counts.sampled += sampled
            self.counts.written += written
            self.counts.dropped += dropped
            if self.on_count is not None:
                self.on_count(self.counts)

    def _drain(self) -> None:
        pending: list[dict[str, Any]] = []
        deadline = time.monotonic() + self.flush_seconds
        while True:
            try:
                item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                item = None
            if isinstance(item, _Batch):
                pending += item.rows()
            if (
                item is None
                or item is _STOP
                or isinstance(item, threading.Event)
                or len(pending) >= self.flush_rows
            ):
                self._write(pending)
                pending = []
                deadline = time.monotonic() + self.flush_seconds
            if isinstance(item, threading.Event):
                item.set()
            if item is _STOP:
                return

    def _write(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        self._files += 1
        now = datetime.now(UTC)
        name = f"part-{now:%H%M%S%f}-{os.getpid()}-{self._files}.parquet"
        path = lake.partition_path(self.root.parent, ZONE, now.date()).with_name(name)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            lake.write_parquet_atomic(pd.DataFrame(rows), path)
        except Exception as error:  # a full disk must cost the sample, not the service
            for stale in path.parent.glob(f".{name}.*.tmp"):
                stale.unlink(missing_ok=True)
            self._count(dropped=len(rows))
            self._warn("inference log write failed, rows dropped", error=str(error))
            return
        self._count(written=len(rows))


@dataclass(frozen=True)
class _Batch:
    """A scored batch as the request left it, and which of its records were sampled."""

    records: Sequence[Mapping[str, Any] | BaseModel]
    predictions: Sequence[Mapping[str, Any] | BaseModel]
    model_version: str | None
    ids: Sequence[str] | None
    kept: list[int]
    logged_at: datetime

    def rows(self) -> list[dict[str, Any]]:
        batch_id = uuid.uuid4().hex
        return [
            {
                RECORD_ID: self.ids[index] if self.ids is not None else f"{batch_id}-{index}",
                LOGGED_AT: self.logged_at,
                MODEL_VERSION: self.model_version,
                **_plain(self.records[index]),
                **{output_column(k): v for k, v in _plain(self.predictions[index]).items()},
            }
            for index in self.kept
        ]


def _plain(item: Mapping[str, Any] | BaseModel) -> Mapping[str, Any]:
    return item.model_dump() if isinstance(item, BaseModel) else item


def read_window(data_dir: Path, since: datetime) -> pd.DataFrame:
    """Every logged record from `since` on, oldest first (an empty frame if none)."""
    first_day = since.date().isoformat()
    files = [
        path
        for path in sorted((data_dir / ZONE).glob("ingest_date=*/part-*.parquet"))
        if path.parent.name.removeprefix("ingest_date=") >= first_day
    ]
    if not files:
        return pd.DataFrame()
    frame = pd.concat([pd.read_parquet(path) for path in files], ignore_index=True)
    frame = frame[pd.to_datetime(frame[LOGGED_AT], utc=True) >= since]
    return frame.sort_values(LOGGED_AT, kind="stable").reset_index(drop=True)
