"""The project's tests: offline, so MLflow's telemetry is off before any test imports it."""

import os

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
