"""The hand-off between jobs: which run, bundle and splits a training made.

Jobs pass references (paths, run ids), never data, so any orchestrator can run
them as separate processes. Every training writes a record under its run id and
points `last_run.json` at it; later steps take a run id or default to the newest.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from ..settings import Settings


class StaleRunError(RuntimeError):
    """The local bundle or splits were overwritten by a newer training than the run asked for."""


@dataclass(frozen=True)
class LastRun:
    run_id: str
    bundle_dir: str
    train_path: str
    valid_path: str
    test_path: str
    data_fingerprint: str


def state_path(settings: Settings, run_id: str | None = None) -> Path:
    if run_id is None:
        return settings.artifacts_dir / "last_run.json"
    return settings.artifacts_dir / "runs" / f"{run_id}.json"


def save(settings: Settings, run: LastRun) -> Path:
    payload = json.dumps(asdict(run), indent=2)
    for path in (state_path(settings, run.run_id), state_path(settings)):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(payload)
    return state_path(settings, run.run_id)


def load(settings: Settings, run_id: str | None = None) -> LastRun:
    """The record of `run_id` (the newest training if None).

    The bundle and splits live at fixed local paths, so a record older than the
    newest training no longer describes them: that raises instead of silently
    evaluating or registering another run's model.
    """
    path = state_path(settings, run_id)
    if not path.is_file():
        what = f"run {run_id}" if run_id else "a training run"
        raise FileNotFoundError(f"{path} not found: no record of {what}; run the train step first")
    run = LastRun(**json.loads(path.read_text()))
    newest = state_path(settings)
    if run_id is not None and newest.is_file():
        latest = json.loads(newest.read_text())["run_id"]
        if latest != run_id:
            raise StaleRunError(f"run {run_id} was superseded by run {latest}: retrain to use it")
    return run
