"""Serving latency of every server choice, and of MLflow's scoring server, in one run.

The default project (binary_classification, sklearn, Python 3.11) is rendered once per
serving choice, installed in its own uv venv, trained (`pipeline`: same seed, so the same
data and model everywhere) and measured with its own `python -m benchmarks.serving --json`.
The peer, `mlflow models serve`, gets the fastapi project's fitted estimator, logged with
`mlflow.sklearn.log_model`, and is driven by the generated `benchmarks.serving.measure`: this
file re-runs itself under the fastapi project's venv (`peer` subcommand) to do that part.

    .venv/bin/python benchmarks/serving.py [--requests N] [--out docs/serving-benchmarks.md]
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent  # the dev venv: copier, uv
SERVINGS = ("fastapi", "flask", "grpc", "bentoml")
LEVELS = (1, 8, 32)
PEER = "MLflow `models serve`"
IGNORED = shutil.ignore_patterns(".git", "__pycache__", ".ruff_cache", ".mypy_cache", ".venv")
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
Row = dict[str, Any]  # one Measurement of the generated bench, as JSON


def run(argv: Sequence[object], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in argv], cwd=cwd, capture_output=True, text=True, env=env or ENV
    )
    if done.returncode:
        raise RuntimeError(
            f"{' '.join(map(str, argv))} failed:\n{done.stdout}{done.stderr}"[-3000:]
        )
    return done.stdout


def rows_of(stdout: str) -> list[Row]:
    rows: list[Row] = json.loads(stdout[stdout.index("[") :])
    return rows


def build(src: Path, dst: Path, serving: str) -> tuple[Path, str]:
    """Render, install, train; returns (project venv python, package name)."""
    copy = [BIN / "copier", "copy", "--trust", "--defaults", "--quiet"]
    run([*copy, "--data", f"serving={serving}", src, dst], ROOT)
    python = dst / "V/bin/python"
    # The project's own `make install`: uv.lock written, then installed from (stubs for gRPC).
    run(["make", "install", "VENV=V", "PYTHON=3.11", f"UV={BIN / 'uv'}"], dst)
    run(["git", "init", "-q"], dst)
    package = next(p.name for p in (dst / "src").iterdir() if (p / "__init__.py").is_file())
    run([python, "-m", package, "pipeline"], dst)
    return python, package


# ── the peer: runs under the fastapi project's venv ─────────────────────────


def peer(package: str, project: Path, work: Path, requests: int) -> list[Row]:
    """Log the project's fitted estimator to MLflow, serve it, measure it like our servers."""
    import http.client
    import socket
    from dataclasses import asdict

    import mlflow
    import pandas as pd

    sys.path.insert(0, str(project))  # the project's benchmarks/, outside its package
    bench = importlib.import_module("benchmarks.serving")
    predictor = importlib.import_module(f"{package}.io.bundle").load_predictor(
        project / "artifacts" / "model"
    )
    record = bench.sample_record(importlib.import_module(f"{package}.settings").Settings())
    frame = pd.DataFrame.from_records([record], columns=predictor.metadata.features)
    features = predictor.transformer.transform(frame)  # what the peer gets: already transformed
    store = f"sqlite:///{work / 'mlflow.db'}"
    mlflow.set_tracking_uri(store)
    mlflow.set_experiment(experiment_id=mlflow.create_experiment("peer", (work / "art").as_uri()))
    with mlflow.start_run():
        uri = mlflow.sklearn.log_model(
            predictor.model._estimator,
            name="model",
            input_example=features,
            pyfunc_predict_fn="predict_proba",  # what our Predictor calls
            skops_trusted_types=importlib.import_module(f"{package}.core.model").TRUSTED_TYPES,
        ).model_uri
    split = json.loads(features.to_json(orient="split", index=False))
    body = json.dumps({"dataframe_split": split}).encode()
    headers = {"Content-Type": "application/json"}
    env = {**os.environ, "MLFLOW_TRACKING_URI": store}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"  # its uvicorn
    results: list[Row] = []
    for label, extra in (("", {}), (", OMP_NUM_THREADS=1", {"OMP_NUM_THREADS": "1"})):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        argv = ["mlflow", "models", "serve", "--env-manager", "local", "-m", uri, "-p", str(port)]
        with (work / f"serve{len(results)}.log").open("wb") as log:
            server = subprocess.Popen(
                argv, env={**env, **extra}, stdout=log, stderr=log, start_new_session=True
            )
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    probe = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                    probe.request("GET", "/ping")
                    if probe.getresponse().status == 200:
                        break
                except OSError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"mlflow serve did not start: see {log.name}") from None
                    time.sleep(0.5)

            def make_call(port: int = port) -> Any:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

                def call() -> bytes:
                    connection.request("POST", "/invocations", body=body, headers=headers)
                    response = connection.getresponse()
                    answer = response.read()
                    if response.status != 200:
                        raise RuntimeError(f"/invocations answered {response.status}: {answer!r}")
                    return answer

                return call

            for level in LEVELS:
                measured = bench.measure(PEER + label, make_call, level, requests)
                results.append(asdict(measured))
        finally:
            os.killpg(server.pid, 15)  # mlflow's CLI and its uvicorn child
            server.wait(timeout=30)
    return results


# ── report ──────────────────────────────────────────────────────────────────


def table(rows: dict[str, list[Row]]) -> str:
    header = ["target"] + [f"{k} @{c}" for c in LEVELS for k in ("p50 ms", "p99 ms", "req/s")]
    header.append("p99 @8 / FastAPI p99 @8")
    by = {(name, r["concurrency"]): r for name, rs in rows.items() for r in rs}
    base = by.get(("FastAPI server", 8), {}).get("p99_ms")
    lines = ["| " + " | ".join(header) + " |", "|---" + "|---:" * (len(header) - 1) + "|"]
    for name in (n for n in rows if all((n, c) in by for c in LEVELS)):
        cells = [name]
        for c in LEVELS:
            r = by[name, c]
            cells += [f"{r['p50_ms']:.2f}", f"{r['p99_ms']:.2f}", f"{r['throughput_rps']:.0f}"]
        cells.append(f"{by[name, 8]['p99_ms'] / base:.2f}" if base else "n/a")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def facts(python: Path | None) -> dict[str, str]:
    versions = "n/a"
    if python:
        code = "import mlflow, sklearn, sys; print(sys.version.split()[0], mlflow.__version__, "
        code += "sklearn.__version__)"
        versions = " / ".join(run([python, "-c", code], ROOT).split())
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.system()} {platform.machine()}, nproc {os.cpu_count()}",
        "project python / mlflow / scikit-learn": versions,
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000, help="requests per level")
    parser.add_argument("--out", type=Path, help="write the report section of this Markdown file")
    sub = parser.add_subparsers(dest="command")
    helper = sub.add_parser("peer", help="(internal) measure the peer; run under a project venv")
    for name in ("package", "project", "work"):
        helper.add_argument(f"--{name}", required=True)
    args = parser.parse_args(argv)
    if args.command == "peer":
        print(json.dumps(peer(args.package, Path(args.project), Path(args.work), args.requests)))
        return

    started, uptime_start = time.perf_counter(), run(["uptime"], ROOT).strip()
    rows: dict[str, list[Row]] = {}
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="serving-bench-") as tmp:
        work = Path(tmp)
        src = work / "template"
        for part in ("templates", "hooks"):
            shutil.copytree(ROOT / part, src / part, ignore=IGNORED)
        shutil.copy2(ROOT / "copier.yml", src / "copier.yml")
        built: dict[str, tuple[Path, str]] = {}
        for serving in SERVINGS:  # build all first: the measurements then run back to back
            print(f"… build {serving}", file=sys.stderr)
            try:
                built[serving] = build(src, work / serving, serving)
            except Exception as error:
                failures.append(f"build {serving}: {error}")
        for serving, (python, _) in built.items():
            print(f"… bench {serving}", file=sys.stderr)
            bench = [python, "-m", "benchmarks.serving", "--json", "--requests", args.requests]
            try:
                measured = rows_of(run(bench, work / serving))
            except Exception as error:
                failures.append(f"bench {serving}: {error}")
                continue
            label = {"fastapi": "FastAPI", "grpc": "gRPC", "bentoml": "BentoML"}.get(serving)
            for target in sorted({m["target"] for m in measured}, key=lambda t: t != "server"):
                if target == "server" or serving == "fastapi":
                    name = f"{label or serving.title()} server" if target == "server" else target
                    rows[name] = [m for m in measured if m["target"] == target]
        fastapi = built.get("fastapi")
        if fastapi:
            print("… peer", file=sys.stderr)
            python, package = fastapi
            (peer_dir := work / "peer").mkdir()
            helper = [python, Path(__file__).resolve(), "--requests", args.requests, "peer"]
            helper += ["--package", package, "--project", work / "fastapi", "--work", peer_dir]
            try:
                for m in rows_of(run(helper, work / "fastapi")):
                    rows.setdefault(m["target"], []).append(m)
            except Exception as error:
                failures.append(f"peer: {error}")
        info = {
            **facts(fastapi[0] if fastapi else None),
            "requests per level": str(args.requests),
            "`uptime` before": uptime_start,
            "`uptime` after": run(["uptime"], ROOT).strip(),
            "wall time (4 builds + all measurements)": f"{time.perf_counter() - started:.0f} s",
        }
    report = "\n".join(f"- {k}: {v}" for k, v in info.items()) + "\n\n" + table(rows)
    report += "".join(f"\n\n**Failed**: {f}" for f in failures)
    print(report)
    if args.out:
        start, end = "<!-- serving-bench -->", "<!-- /serving-bench -->"
        text = args.out.read_text() if args.out.exists() else f"{start}\n{end}\n"
        head, _, rest = text.partition(start)
        args.out.write_text(f"{head}{start}\n{report}\n{end}{rest.partition(end)[2]}")


if __name__ == "__main__":
    main()
