"""Test setup of the HTTP servers (FastAPI, Flask, BentoML): the body size limit.

Only an HTTP server reads MAX_REQUEST_BYTES; it is set low so tests can send a body
over it without allocating much.
"""

from __future__ import annotations

MAX_REQUEST_BYTES = 262_144


def pytest_serving_env(env: dict[str, str]) -> None:
    """The session's server refuses bodies over MAX_REQUEST_BYTES (see tests/plugins/servers.py)."""
    env["MAX_REQUEST_BYTES"] = str(MAX_REQUEST_BYTES)
