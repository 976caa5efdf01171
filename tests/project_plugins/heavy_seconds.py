"""A pytest plugin loaded into a generated project's own pytest run by the template's tests.

`test_generated.py` runs a project's heavy tests (its `loop`, `orchestration` and
`terraform` markers, where placed) in the same pytest run as the rest of its suite, so
the imports and session fixtures are paid once. This plugin says what each heavy marker
cost in that run: the seconds of its tests (setup, call and teardown), written as JSON to
the file named by HEAVY_SECONDS_PATH for the markers listed in HEAVY_SECONDS_MARKERS.
Loaded with `-p heavy_seconds`, its folder on PYTHONPATH; nothing of it is in the project.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

MARKERS = tuple(filter(None, os.environ.get("HEAVY_SECONDS_MARKERS", "").split(",")))
SECONDS = dict.fromkeys(MARKERS, 0.0)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    for marker in MARKERS:
        if marker in report.keywords:
            SECONDS[marker] += report.duration


def pytest_sessionfinish(session: pytest.Session) -> None:
    path = os.environ.get("HEAVY_SECONDS_PATH")
    if path:
        Path(path).write_text(json.dumps(SECONDS))
