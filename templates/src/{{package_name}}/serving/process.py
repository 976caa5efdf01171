"""Run the project's server as a child process, exactly as `make serve` does.

Used by `make bench` and by the contract tests: a free loopback port, the
environment given, logs to a file, and a clean stop.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .client import ServingClient

PACKAGE = __package__.rpartition(".")[0] if __package__ else "app"


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A free loopback port whose next port is free too (a server may put metrics there)."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port < 65535 and _bindable(port + 1):
            return port


@contextmanager
def running_server(
    env: dict[str, str],
    log: Path,
    *,
    command: list[str] | None = None,
    wait_ready: bool = True,
    timeout: float = 120,
) -> Iterator[int]:
    """Start `python -m <package> serve` (or `command`) on a free port; yield the port."""
    port = free_port()
    command = [*(command or [sys.executable, "-m", PACKAGE, "serve"]), "--host", "127.0.0.1"]
    command += ["--port", str(port)]
    with log.open("wb") as stream:
        process = subprocess.Popen(
            command, env={**os.environ, **env}, stdout=stream, stderr=subprocess.STDOUT
        )
    try:
        client = ServingClient(port=port, timeout=5)
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited with {process.returncode}: {log.read_text()}")
            try:
                if client.ready() if wait_ready else client.live():
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"server not {'ready' if wait_ready else 'live'}: {log.read_text()}"
                )
            time.sleep(0.2)
        client.close()
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
