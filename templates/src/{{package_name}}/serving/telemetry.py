"""Prometheus metrics shared by every serving adapter, and an endpoint for non-HTTP workers.

Created once at import in the default registry, so several app instances in one
process (tests) never register a metric twice. A worker that serves no HTTP of its
own (the stream consumer) exposes them, with liveness and readiness, through
`metrics_server`. Every server also re-exports the `monitor` job's latest gauges
(`MonitorGauges`), so one scrape of the service sees both.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http import HTTPStatus
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

from prometheus_client import Counter, Gauge, Histogram, MetricsHandler
from prometheus_client.parser import text_string_to_metric_families

from ..core.schemas import OUTPUT_BUCKETS, Prediction

logger = logging.getLogger(__name__)

REQUESTS = Counter("requests_total", "Requests served", ["method", "route", "status"])
LATENCY = Histogram(
    "request_duration_seconds",
    "Request latency",
    ["route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
ERRORS = Counter("prediction_errors_total", "Rejected or failed prediction requests", ["reason"])
for _reason in ("invalid_request", "internal"):  # at 0 from the start: rate() sees the first
    ERRORS.labels(_reason)
BATCH_SIZE = Histogram(
    "prediction_batch_size", "Records per request", buckets=(1, 2, 5, 10, 50, 100, 500, 1000)
)
OUTPUTS = Histogram("model_output", "Distribution of the model's outputs", buckets=OUTPUT_BUCKETS)


class MonitorGauges:
    """The `monitor` job's latest gauges (drift, decision, last run), mirrored into this
    process's own gauges.

    The job runs and exits (a CronJob, an orchestrator task), so Prometheus cannot
    scrape it; it leaves its gauges in a file on the volume the servers share
    (Settings.monitor_gauges_path) and every server re-exports them, read again whenever
    the file changes. Real gauges rather than a custom collector, so that servers whose
    /metrics is assembled from several processes' files (BentoML) export them too.
    Series of an earlier window that the new file no longer has (another champion
    version) are set to NaN: such a process cannot drop a series, and NaN never
    satisfies an alert. Several replicas export the same series: the alert rules
    aggregate them away. No file yet, or an unreadable one: nothing new, and the
    staleness alert notices.
    """

    def __init__(self, path: Path, every_seconds: float = 5.0) -> None:
        self.path = path
        self.every_seconds = every_seconds
        self._stamp: float | None = None
        self._series: dict[str, set[tuple[str, ...]]] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def refresh(self) -> bool:
        """Mirror the file if it changed since the last look; True when it did."""
        try:
            stamp = self.path.stat().st_mtime
            if stamp == self._stamp:
                return False
            families = list(text_string_to_metric_families(self.path.read_text()))
        except FileNotFoundError:
            return False
        except (OSError, ValueError) as error:
            logger.warning("monitor gauges not read", extra={"error": str(error)})
            return False
        for family in families:
            if family.type == "gauge" and family.samples:
                self._mirror(family.name, family.documentation, family.samples)
        self._stamp = stamp
        return True

    def _mirror(self, name: str, documentation: str, samples: list[Any]) -> None:
        labels = tuple(samples[0].labels)
        gauge = _MIRRORED.get(name)
        if gauge is None:
            gauge = _MIRRORED[name] = Gauge(
                name, documentation, labels, multiprocess_mode="mostrecent"
            )
        fresh = set()
        for sample in samples:
            values = tuple(sample.labels[label] for label in labels)
            (gauge.labels(*values) if labels else gauge).set(sample.value)
            fresh.add(values)
        for values in self._series.get(name, set()) - fresh:
            (gauge.labels(*values) if labels else gauge).set(math.nan)
        self._series[name] = self._series.get(name, set()) | fresh

    def start(self) -> None:
        self.refresh()
        self._thread = threading.Thread(target=self._watch, name="monitor-gauges", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _watch(self) -> None:
        while not self._stop.wait(self.every_seconds):
            self.refresh()


# One gauge per mirrored name in the process, whichever server instance reads the file.
_MIRRORED: dict[str, Gauge] = {}


def observe_predictions(predictions: list[Prediction]) -> None:
    """Record the batch size and each model output (the first prediction field)."""
    BATCH_SIZE.observe(len(predictions))
    first_field = next(iter(Prediction.model_fields))
    for prediction in predictions:
        OUTPUTS.observe(float(getattr(prediction, first_field)))


class Heartbeat:
    """When a worker loop last made progress: its liveness and readiness.

    Ready from the first beat on. Alive while loading (a startup probe on readiness
    bounds that), then only while the last beat is under `stall_seconds` old: a loop
    blocked on a server that stopped answering, or stuck in a call, stops beating.
    """

    def __init__(self, stall_seconds: float, progress: Gauge) -> None:
        self.stall_seconds = stall_seconds
        self.progress = progress  # the same moment as a Unix time, for alerts
        self._last: float | None = None

    def beat(self) -> None:
        self._last = time.monotonic()
        self.progress.set_to_current_time()

    @property
    def ready(self) -> bool:
        return self._last is not None

    def silent_for(self) -> float:
        """Seconds since the last beat (0 before the first)."""
        return 0.0 if self._last is None else time.monotonic() - self._last


class _Handler(MetricsHandler):
    """GET /metrics, /health/live and /health/ready; nothing is logged per request."""

    def do_GET(self) -> None:  # noqa: N802 (the name http.server dispatches to)
        path = urlsplit(self.path).path
        if path == "/metrics":
            super().do_GET()
            return
        heartbeat = cast("MetricsServer", self.server).heartbeat
        if path == "/health/live":
            silent = round(heartbeat.silent_for(), 3)
            ok = silent < heartbeat.stall_seconds
            body = {"status": "alive" if ok else "stalled", "seconds_since_progress": silent}
        elif path == "/health/ready":
            ok = heartbeat.ready
            body = {"status": "ready" if ok else "starting"}
        else:
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        payload = json.dumps(body).encode()
        self.send_response(HTTPStatus.OK if ok else HTTPStatus.SERVICE_UNAVAILABLE)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class MetricsServer(ThreadingHTTPServer):
    """An HTTP server whose handlers can read the worker's heartbeat."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], heartbeat: Heartbeat) -> None:
        super().__init__(address, _Handler)
        self.heartbeat = heartbeat


@contextmanager
def metrics_server(host: str, port: int, heartbeat: Heartbeat) -> Iterator[MetricsServer]:
    """Serve the endpoints on a thread of their own, so they answer while the worker is busy."""
    server = MetricsServer((host, port), heartbeat)
    thread = threading.Thread(target=server.serve_forever, name="metrics", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
