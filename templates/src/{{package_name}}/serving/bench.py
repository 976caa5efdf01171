"""`make bench`: latency p50/p99 and throughput of the real server at concurrency 1, 8, 32.

Three targets serve the same bundle: the Predictor called in-process (no network),
a bare ASGI app that only parses JSON and calls the Predictor (the floor: what
any HTTP server must pay), and the project's server. Clients are threads with
keep-alive connections on loopback, on the same machine as the server.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..core.schemas import FeatureRecord
from ..io.bundle import load_predictor
from ..io.sample_data import load_sample_data
from ..settings import Settings, get_settings
from .loader import limit_native_threads

LEVELS = (1, 8, 32)
PACKAGE = __package__.rpartition(".")[0] if __package__ else "app"
Scope = dict[str, Any]


@dataclass(frozen=True)
class Measurement:
    target: str
    concurrency: int
    requests: int
    p50_ms: float
    p99_ms: float
    throughput_rps: float


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def sample_record(settings: Settings) -> dict[str, Any]:
    """One realistic record as plain JSON types."""
    frame = load_sample_data(100, settings.seed)
    row: dict[str, Any] = json.loads(
        frame[list(FeatureRecord.model_fields)].head(1).to_json(orient="records")
    )[0]
    return row


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _measure(
    name: str,
    call: Callable[[Any], object],
    make_state: Callable[[], Any],
    concurrency: int,
    total: int,
) -> Measurement:
    per_thread = max(1, total // concurrency)
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    barrier = threading.Barrier(concurrency + 1)

    def worker(index: int) -> None:
        state = make_state()
        for _ in range(10):  # warm connections and caches
            call(state)
        barrier.wait()
        for _ in range(per_thread):
            start = time.perf_counter()
            call(state)
            latencies[index].append(time.perf_counter() - start)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    flat = [value for chunk in latencies for value in chunk]
    return Measurement(
        name,
        concurrency,
        len(flat),
        round(_percentile(flat, 0.50) * 1000, 3),
        round(_percentile(flat, 0.99) * 1000, 3),
        round(len(flat) / wall, 1),
    )


def _http_caller(
    port: int, path: str, body: bytes
) -> tuple[Callable[[Any], None], Callable[[], Any]]:
    headers = {"Content-Type": "application/json"}

    def make_state() -> list[http.client.HTTPConnection]:
        return [http.client.HTTPConnection("127.0.0.1", port, timeout=30)]

    def call(state: list[http.client.HTTPConnection]) -> None:
        for attempt in (1, 2):
            try:
                state[0].request("POST", path, body=body, headers=headers)
                response = state[0].getresponse()
                response.read()
                break
            except (http.client.HTTPException, OSError):
                # The server closed an idle keep-alive connection: reconnect once.
                state[0].close()
                state[0] = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                if attempt == 2:
                    raise
        if response.status != 200:
            raise RuntimeError(f"{path} answered {response.status}")

    return call, make_state


@contextmanager
def _server(command: list[str], port: int, env: dict[str, str]) -> Iterator[None]:
    process = subprocess.Popen(command, env={**os.environ, **env}, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                connection.request("GET", "/health/ready")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise TimeoutError(f"{command} did not become ready on port {port}")
        yield
    finally:
        process.terminate()
        process.wait(timeout=15)


def floor_app() -> Callable[..., Any]:
    """The floor: a bare ASGI app that parses JSON and calls the same Predictor."""
    limit_native_threads()
    predictor = load_predictor(Path(get_settings().model_uri))

    async def app(scope: Scope, receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] != "http":
            return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        payload = b'{"status":"ready"}'
        if scope["method"] == "POST":
            records = json.loads(body)["records"]
            predictions = predictor.predict(records)
            payload = json.dumps({"predictions": [p.model_dump() for p in predictions]}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": payload})

    return app


def measure_all(settings: Settings, requests_per_level: int) -> list[Measurement]:
    bundle = settings.bundle_dir
    if not (bundle / "manifest.json").is_file():
        raise FileNotFoundError(f"no model bundle in {bundle}: run `make all` first")
    limit_native_threads()  # the same setting the servers use
    predictor = load_predictor(bundle)
    record = sample_record(settings)
    body = json.dumps({"records": [record]}).encode()
    env = {"MODEL_URI": str(bundle.resolve()), "LOG_LEVEL": "WARNING"}
    results: list[Measurement] = []
    for level in LEVELS:
        results.append(
            _measure(
                "in-process predict",
                lambda _: predictor.predict([record]),
                lambda: None,
                level,
                requests_per_level,
            )
        )
    targets = {
        "bare ASGI + predict (floor)": [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            f"{PACKAGE}.serving.bench:floor_app",
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        "server": [sys.executable, "-m", PACKAGE, "serve"],
    }
    for name, command in targets.items():
        port = free_port()
        with _server([*command, "--port", str(port)], port, env):
            call, make_state = _http_caller(port, "/v1/predict", body)
            for level in LEVELS:
                results.append(_measure(name, call, make_state, level, requests_per_level))
    return results


def table(results: list[Measurement]) -> str:
    lines = [
        "| target | concurrency | requests | p50 ms | p99 ms | req/s |",
        "|---|---:|---:|---:|---:|---:|",
        *(
            f"| {m.target} | {m.concurrency} | {m.requests} | {m.p50_ms:.2f} "
            f"| {m.p99_ms:.2f} | {m.throughput_rps:.0f} |"
            for m in results
        ),
    ]
    floor = {m.concurrency: m for m in results if m.target.endswith("(floor)")}
    server = {m.concurrency: m for m in results if m.target == "server"}
    lines += ["", "| concurrency | server p99 / floor p99 |", "|---:|---:|"]
    lines += [
        f"| {c} | {server[c].p99_ms / floor[c].p99_ms:.2f} |"
        for c in LEVELS
        if c in floor and c in server
    ]
    return "\n".join(lines)


def run(settings: Settings, requests_per_level: int = 2000, as_json: bool = False) -> None:
    results = measure_all(settings, requests_per_level)
    print(json.dumps([asdict(m) for m in results], indent=2) if as_json else table(results))
