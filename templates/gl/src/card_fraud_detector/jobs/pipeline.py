"""The whole lifecycle in one process: ingest → validate → train → evaluate → register."""

from __future__ import annotations

from dataclasses import dataclass

from ..settings import Settings
from . import evaluate, ingest, register, train, validate


@dataclass(frozen=True)
class PipelineResult:
    run_id: str
    test_metrics: dict[str, float]
    registration: register.RegistrationResult


def run(settings: Settings) -> PipelineResult:
    """Run every step; a validation failure raises before anything is trained or registered."""
    ingest.run(settings)
    validate.run(settings)
    last = train.run(settings)
    metrics = evaluate.run(settings)
    return PipelineResult(last.run_id, metrics, register.run(settings))
