"""Test setup of Prefect: a throw-away PREFECT_HOME, and its temporary server stopped in time.

Prefect reads its settings at import, so they are set before any test imports it. With
no PREFECT_API_URL, the first flow run starts Prefect's temporary local server (SQLite
under PREFECT_HOME); it serves every later run of the session.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest


def pytest_configure(config: pytest.Config) -> None:
    """Give Prefect a fresh home, no profile or API URL of the user's, and analytics off."""
    home = Path(tempfile.mkdtemp(prefix="prefect-home-"))
    config.add_cleanup(lambda: shutil.rmtree(home, ignore_errors=True))
    # Cleanups run last in, first out: the server stops before its home goes.
    config.add_cleanup(_stop_prefect_server)
    for name in ("PREFECT_API_URL", "PREFECT_PROFILE"):
        os.environ.pop(name, None)
    os.environ.update(
        {
            "PREFECT_HOME": str(home),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            # Prefect reads 1/true/yes; MLflow's telemetry only "true".
            "DO_NOT_TRACK": "true",
            # A cold start on a busy 2-core runner can exceed Prefect's 20 s default.
            "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
        }
    )


def _stop_prefect_server() -> None:
    """Stop the temporary server while pytest's streams are still open (not at exit).

    Queued logs and events go first: sent to a stopped server, they are retried for minutes.
    Nothing to do when no test started it (Prefect not imported).
    """
    if "prefect.server.api.server" in sys.modules:
        from prefect.events.worker import EventsWorker
        from prefect.logging.handlers import APILogWorker
        from prefect.server.api.server import SubprocessASGIServer

        APILogWorker.drain_all(timeout=30)
        EventsWorker.drain_all(timeout=30)
        SubprocessASGIServer().stop()
