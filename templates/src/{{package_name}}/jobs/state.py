"""The hand-off between jobs: which run, bundle and splits the last training made.

Jobs pass references (paths, run ids), never data, so any orchestrator can run
them as separate processes.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from ..settings import Settings


@dataclass(frozen=True)
class LastRun:
    run_id: str
    bundle_dir: str
    train_path: str
    valid_path: str
    test_path: str
    data_fingerprint: str


def state_path(settings: Settings) -> Path:
    return settings.artifacts_dir / "last_run.json"


def save(settings: Settings, run: LastRun) -> Path:
    path = state_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(run), indent=2))
    return path


def load(settings: Settings) -> LastRun:
    path = state_path(settings)
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: run the train step first")
    return LastRun(**json.loads(path.read_text()))
