"""The whole lifecycle in one process: ingest → validate → train → evaluate → register.

Each step gets the reference the previous one returned (a partition path, a run id),
exactly as an orchestrator hands them over.
"""

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
    raw = ingest.run(settings)
    validated = validate.run(settings, raw)
    last = train.run(settings, validated)
    metrics = evaluate.run(settings, last.run_id)
    return PipelineResult(last.run_id, metrics, register.run(settings, last.run_id))
