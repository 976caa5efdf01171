"""The pipeline as an orchestrator sees it: five steps that take and return references.

Every orchestrator adapter calls these functions and nothing else from the jobs, so
all of them run the same code. Arguments and results are plain strings, numbers and
dicts (a partition path, an MLflow run id, metrics): they travel through XCom, task
results, component parameters or asset outputs without pushing data through the
orchestrator's metadata store. Settings come from the environment of the worker
(DATA_DIR, MLFLOW_TRACKING_URI, ...), so a step runs the same in-process, in a
subprocess or in a pod that mounts the same volume.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from ..jobs import evaluate, ingest, register, train, validate
from ..settings import Settings

STEPS = ("ingest", "validate", "train", "evaluate", "register")
# Daily retraining at 03:00 UTC; every adapter uses this one schedule.
SCHEDULE = "0 3 * * *"
# Steps that read or write a store (source, lake, MLflow) are retried with exponential
# back-off from RETRY_DELAY, capped at MAX_RETRY_DELAY where the orchestrator has a cap
# (each grows the delay by its own formula). Validation is deterministic: bad data
# fails the run at once.
RETRIED_STEPS = frozenset({"ingest", "train", "evaluate", "register"})
RETRIES = 3
RETRY_DELAY = timedelta(seconds=30)
MAX_RETRY_DELAY = timedelta(minutes=10)

StepState = Literal["succeeded", "failed", "not run"]


@dataclass(frozen=True)
class PipelineParams:
    """What a run can be given through the orchestrator's own parameter mechanism.

    Empty strings keep the worker's settings (DATA_SOURCE, DATA_PATH from the env).
    """

    data_source: str = ""
    data_path: str = ""
    model_params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RunOutcome:
    """One orchestrated run, in words every adapter can report."""

    succeeded: bool
    steps: Mapping[str, StepState]
    run_id: str | None = None

    @property
    def failed_steps(self) -> list[str]:
        return [name for name, state in self.steps.items() if state == "failed"]


def retries(step: str) -> int:
    """How many times the orchestrator retries `step` after a failure."""
    return RETRIES if step in RETRIED_STEPS else 0


def _settings(**overrides: Any) -> Settings:
    # Logging is left to the orchestrator, which captures each step's records.
    return Settings(**{k: v for k, v in overrides.items() if v})


def run_ingest(data_source: str = "", data_path: str = "") -> str:
    """Land the source in the raw zone; returns the partition path."""
    return str(ingest.run(_settings(data_source=data_source, data_path=data_path)))


def run_validate(raw_path: str) -> str:
    """Validate one raw partition; returns the validated partition path or raises."""
    return str(validate.run(_settings(), Path(raw_path)))


def run_train(validated_path: str, model_params: Mapping[str, Any] | None = None) -> str:
    """Train on one validated partition; returns the MLflow run id."""
    return train.run(_settings(), Path(validated_path), dict(model_params or {})).run_id


def run_evaluate(run_id: str) -> dict[str, float]:
    """Score run `run_id` on its test split; returns the test metrics."""
    return evaluate.run(_settings(), run_id)


def run_register(run_id: str) -> dict[str, Any]:
    """Register run `run_id`, promoting it if it beats the champion."""
    return asdict(register.run(_settings(), run_id))
