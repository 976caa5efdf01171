"""Prometheus metrics shared by every serving adapter.

Created once at import in the default registry, so several app instances in one
process (tests) never register a metric twice.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

from ..core.metrics import OUTPUT_BUCKETS

REQUESTS = Counter("requests_total", "Requests served", ["method", "route", "status"])
LATENCY = Histogram(
    "request_duration_seconds",
    "Request latency",
    ["route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
ERRORS = Counter("prediction_errors_total", "Rejected or failed prediction requests", ["reason"])
BATCH_SIZE = Histogram(
    "prediction_batch_size", "Records per request", buckets=(1, 2, 5, 10, 50, 100, 500, 1000)
)
OUTPUTS = Histogram("model_output", "Distribution of the model's outputs", buckets=OUTPUT_BUCKETS)
