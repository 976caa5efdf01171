"""Serving latency of every server choice, and of MLflow's and MLServer's servers, in one run.

The default project (binary_classification, sklearn, Python 3.11) is rendered once per
serving choice, installed in its own uv venv, trained (`pipeline`: same seed, so the same
data and model everywhere) and measured with its own `python -m benchmarks.serving --json`.
Two peers get the fastapi project's fitted estimator and are driven by the generated
`benchmarks.serving.measure`, re-running this file under the fastapi project's venv:
`mlflow models serve` (the estimator logged with `mlflow.sklearn.log_model`; `peer`
subcommand) and MLServer with mlserver-sklearn (the estimator dumped with joblib, MLServer
installed in a venv of its own; `mlserver-peer` subcommand), both sent the record already
transformed by the project's transformer.

    .venv/bin/python benchmarks/serving.py [--requests N] [--serving S ...] [--data K=V ...]
        [--out docs/serving-benchmarks.md]
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import math
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent  # the dev venv: copier, uv
SERVINGS = ("fastapi", "flask", "grpc", "bentoml")
LABELS = {"fastapi": "FastAPI", "flask": "Flask", "grpc": "gRPC", "bentoml": "BentoML"}
LEVELS = (1, 8, 32)
SERVER = "server"  # the generated bench's name for the real server ("server (onnx)", ...)
PEER = "MLflow `models serve`"
MLSERVER = "MLServer"
MLSERVER_PYTHON = "3.11"
MLSERVER_REQUIREMENTS = (
    "mlserver==1.7.1",
    "mlserver-sklearn==1.7.1",
    "uvloop<0.22",  # MLServer 1.7 crashes at start-up with uvloop >= 0.22
    "httptools",  # uvicorn's fast HTTP parser; MLServer's default install lacks it
)
# One native thread per process, as our servers do per request (`limit_native_threads`):
# MLServer's tree predictions otherwise start an OpenMP team per call and collapse.
MLSERVER_THREADS = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
# parallel_workers: 0 = inference in the HTTP process (one process, like ours); n > 0 = the
# HTTP process hands requests to a pool of n inference processes (1 is MLServer's default).
MLSERVER_WORKERS = {
    0: f"{MLSERVER}, parallel_workers=0 (1 process)",
    1: f"{MLSERVER}, parallel_workers=1 (default: HTTP + 1 inference process)",
    2: f"{MLSERVER}, parallel_workers=2 (HTTP + 2 inference processes)",
}
ONE_WORKER = (MLSERVER_WORKERS[0], MLSERVER_WORKERS[1])  # the reference of the req/s ratio
TOLERANCE = 1e-9  # MLServer's probability vs our Predictor's score for the same record
IGNORED = shutil.ignore_patterns(".git", "__pycache__", ".ruff_cache", ".mypy_cache", ".venv")
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
Row = dict[str, Any]  # one Measurement of the generated bench, as JSON
MakeCall = Callable[[], Callable[[], object]]


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


def build(src: Path, dst: Path, serving: str, data: Sequence[str]) -> tuple[Path, str]:
    """Render, install, train; returns (project venv python, package name)."""
    copy = [BIN / "copier", "copy", "--trust", "--defaults", "--quiet"]
    answers = [arg for answer in (f"serving={serving}", *data) for arg in ("--data", answer)]
    run([*copy, *answers, src, dst], ROOT)
    python = dst / "V/bin/python"
    # The project's own `make install`: uv.lock written, then installed from (stubs for gRPC).
    run(["make", "install", "VENV=V", "PYTHON=3.11", f"UV={BIN / 'uv'}"], dst)
    run(["git", "init", "-q"], dst)
    package = next(p.name for p in (dst / "src").iterdir() if (p / "__init__.py").is_file())
    run([python, "-m", package, "pipeline"], dst)
    return python, package


def add_bench_rows(rows: dict[str, list[Row]], serving: str, measured: list[Row]) -> None:
    """Every target a generated bench reports, whatever its name, under a report name.

    Server targets ("server", "server (onnx)", ...) are kept for every serving choice, prefixed
    with the server's label ("Flask server (onnx)"); the others ("in-process predict", the
    floor, their runtime variants) are the same Predictor in every project: kept once, from the
    first project that reports them.
    """
    targets = dict.fromkeys(m["target"] for m in measured)  # in the bench's order
    for target in sorted(targets, key=lambda t: not t.startswith(SERVER)):
        if target.startswith(SERVER):
            name = f"{LABELS.get(serving, serving.title())} {target}"
        elif target in rows:
            continue
        else:
            name = target
        rows[name] = [m for m in measured if m["target"] == target]


def install_mlserver(venv: Path, project_python: Path) -> Path:
    """MLServer in a venv of its own, with the project's scikit-learn; returns its python."""
    code = "import sklearn; print(sklearn.__version__)"
    sklearn_version = run([project_python, "-c", code], ROOT).strip()
    uv = BIN / "uv"
    run([uv, "venv", "-q", "--python", MLSERVER_PYTHON, venv], ROOT)
    python = venv / "bin/python"
    # The template's own resolution cut-off, so a later run installs the same versions.
    cutoff = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["uv"]["exclude-newer"]
    pins = [*MLSERVER_REQUIREMENTS, f"scikit-learn=={sklearn_version}"]
    run([uv, "pip", "install", "-q", "--python", python, "--exclude-newer", cutoff, *pins], ROOT)
    return python


# ── the peers: run under the fastapi project's venv ─────────────────────────


def _project_model(package: str, project: Path) -> tuple[Any, Any, dict[str, Any], Any]:
    """(generated bench module, Predictor, sample record, its transformed one-row frame)."""
    pd = importlib.import_module("pandas")  # the project venv's, not the dev venv's
    sys.path.insert(0, str(project))  # the project's benchmarks/, outside its package
    bench = importlib.import_module("benchmarks.serving")
    predictor = importlib.import_module(f"{package}.io.bundle").load_predictor(
        project / "artifacts" / "model"
    )
    record = bench.sample_record(importlib.import_module(f"{package}.settings").Settings())
    frame = pd.DataFrame.from_records([record], columns=predictor.metadata.features)
    features = predictor.transformer.transform(frame)  # what the peers get: already transformed
    return bench, predictor, record, features


def _estimator(predictor: Any) -> Any:
    """The fitted scikit-learn estimator behind the project's Model adapter."""
    model = predictor.model
    return model.native if hasattr(model, "native") else model._estimator


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _post(port: int, path: str, body: bytes) -> MakeCall:
    """Per thread: one keep-alive connection; each call POSTs `body`, checks 200, parses JSON."""
    import http.client

    headers = {"Content-Type": "application/json"}

    def make_call() -> Callable[[], object]:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

        def call() -> object:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            answer = response.read()
            if response.status != 200:
                raise RuntimeError(f"{path} answered {response.status}: {answer[:300]!r}")
            return json.loads(answer)

        return call

    return make_call


def _start(argv: Sequence[object], env: dict[str, str], cwd: Path, log: Path) -> Any:
    with log.open("wb") as out:
        return subprocess.Popen(
            [str(a) for a in argv],
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=out,
            start_new_session=True,  # its own process group: the CLI and all its children
        )


def _wait_ready(server: Any, port: int, path: str, log: Path, timeout: float = 180) -> None:
    import http.client

    deadline = time.monotonic() + timeout
    while True:
        try:
            probe = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            probe.request("GET", path)
            if probe.getresponse().status == 200:
                return
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"server did not become ready ({path}); {log}:\n{tail}")
        time.sleep(0.5)


def _stop(server: Any) -> None:
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def peer(package: str, project: Path, work: Path, requests: int) -> list[Row]:
    """Log the project's fitted estimator to MLflow, serve it, measure it like our servers."""
    from dataclasses import asdict

    mlflow = importlib.import_module("mlflow")  # the project venv's, not the dev venv's
    bench, predictor, _, features = _project_model(package, project)
    store = f"sqlite:///{work / 'mlflow.db'}"
    mlflow.set_tracking_uri(store)
    mlflow.set_experiment(experiment_id=mlflow.create_experiment("peer", (work / "art").as_uri()))
    with mlflow.start_run():
        uri = mlflow.sklearn.log_model(
            _estimator(predictor),
            name="model",
            input_example=features,
            pyfunc_predict_fn="predict_proba",  # what our Predictor calls
            skops_trusted_types=importlib.import_module(f"{package}.core.model").TRUSTED_TYPES,
        ).model_uri
    split = json.loads(features.to_json(orient="split", index=False))
    body = json.dumps({"dataframe_split": split}).encode()
    env = {**os.environ, "MLFLOW_TRACKING_URI": store}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"  # its uvicorn
    results: list[Row] = []
    for label, extra in (("", {}), (", OMP_NUM_THREADS=1", {"OMP_NUM_THREADS": "1"})):
        port = _free_port()
        argv = ["mlflow", "models", "serve", "--env-manager", "local", "-m", uri, "-p", port]
        log = work / f"serve{len(results)}.log"
        server = _start(argv, {**env, **extra}, work, log)
        try:
            _wait_ready(server, port, "/ping", log)
            for level in LEVELS:
                measured = bench.measure(
                    PEER + label, _post(port, "/invocations", body), level, requests
                )
                results.append(asdict(measured))
        finally:
            _stop(server)  # mlflow's CLI and its uvicorn child
    return results


def _v2_probability(answer: Any) -> float:
    """The positive class's probability in a V2 answer of `predict_proba` for one record."""
    (output,) = answer["outputs"]
    if output["name"] != "predict_proba" or output["shape"] != [1, 2]:
        raise RuntimeError(f"not a predict_proba output of one record: {answer}")
    probability = float(output["data"][1])
    if not (math.isfinite(probability) and 0.0 <= probability <= 1.0):
        raise RuntimeError(f"not a probability: {answer}")
    return probability


def mlserver_peer(
    package: str, project: Path, work: Path, mlserver_python: Path, requests: int
) -> dict[str, Any]:
    """Serve the project's fitted estimator with MLServer, check it, measure it like ours."""
    from dataclasses import asdict

    joblib = importlib.import_module("joblib")  # the project venv's (scikit-learn's dependency)
    bench, predictor, record, features = _project_model(package, project)
    expected = float(predictor.predict([record])[0].score)
    matrix = features.to_numpy(dtype="float64")
    if not all(math.isfinite(float(v)) for v in matrix.ravel()):
        raise RuntimeError("the sample record's features hold NaN/inf: no JSON number for them")
    # A V2 inference request: one FP64 tensor [1, n_features], the record already transformed.
    tensor = {"name": "input-0", "datatype": "FP64", "shape": list(matrix.shape)}
    body = json.dumps({"inputs": [{**tensor, "data": matrix.ravel().tolist()}]}).encode()
    repository = work / "models"
    (folder := repository / package).mkdir(parents=True)
    joblib.dump(_estimator(predictor), folder / "model.joblib")
    model_settings = {
        "name": package,
        "implementation": "mlserver_sklearn.SKLearnModel",
        # predict_fn: answer predict_proba (what our Predictor calls) without asking per request
        "parameters": {"uri": "./model.joblib", "extra": {"predict_fn": "predict_proba"}},
    }
    (folder / "model-settings.json").write_text(json.dumps(model_settings, indent=2))
    path = f"/v2/models/{package}/infer"
    env = {**os.environ, **MLSERVER_THREADS}
    results: list[Row] = []
    checks: list[str] = []
    for workers, name in MLSERVER_WORKERS.items():
        port, grpc_port, metrics_port = _free_port(), _free_port(), _free_port()
        settings = {
            "debug": False,  # no access-log line per request (ours log none either)
            "host": "127.0.0.1",
            "http_port": port,
            "grpc_port": grpc_port,
            "metrics_port": metrics_port,
            "parallel_workers": workers,
        }
        (repository / "settings.json").write_text(json.dumps(settings, indent=2))
        log = work / f"mlserver-{workers}.log"
        argv = [mlserver_python.parent / "mlserver", "start", repository]
        server = _start(argv, env, work, log)
        try:
            _wait_ready(server, port, f"/v2/models/{package}/ready", log)
            got = _v2_probability(_post(port, path, body)()())
            if abs(got - expected) > TOLERANCE:
                raise RuntimeError(f"{name}: predict_proba {got!r} != our score {expected!r}")
            checks.append(f"{got:.6f} (|Δ| {abs(got - expected):.1e})")
            for level in LEVELS:
                results.append(
                    asdict(bench.measure(name, _post(port, path, body), level, requests))
                )
        finally:
            _stop(server)  # `mlserver start` and its inference-pool processes
    score = f"our score {expected:.6f}; MLServer predict_proba[:, 1] " + ", ".join(checks)
    return {"rows": results, "check": score}


# ── report ──────────────────────────────────────────────────────────────────


def _reference(by: dict[tuple[str, int], Row]) -> str | None:
    """The MLServer row of the req/s ratio: the faster at @8 of its one-worker set-ups."""
    candidates = [name for name in ONE_WORKER if (name, 8) in by]
    return max(candidates, key=lambda n: by[n, 8]["throughput_rps"], default=None)


def table(rows: dict[str, list[Row]]) -> str:
    header = ["target"] + [f"{k} @{c}" for c in LEVELS for k in ("p50 ms", "p99 ms", "req/s")]
    header += ["p99 @8 / FastAPI p99 @8", f"req/s @8 / {MLSERVER} req/s @8"]
    by = {(name, r["concurrency"]): r for name, rs in rows.items() for r in rs}
    base = by.get(("FastAPI server", 8), {}).get("p99_ms")
    reference = _reference(by)
    peer_rps = by[reference, 8]["throughput_rps"] if reference else None
    lines = ["| " + " | ".join(header) + " |", "|---" + "|---:" * (len(header) - 1) + "|"]
    for name in (n for n in rows if all((n, c) in by for c in LEVELS)):
        cells = [name]
        for c in LEVELS:
            r = by[name, c]
            cells += [f"{r['p50_ms']:.2f}", f"{r['p99_ms']:.2f}", f"{r['throughput_rps']:.0f}"]
        cells.append(f"{by[name, 8]['p99_ms'] / base:.2f}" if base else "n/a")
        cells.append(f"{by[name, 8]['throughput_rps'] / peer_rps:.2f}" if peer_rps else "n/a")
        lines.append("| " + " | ".join(cells) + " |")
    if reference:
        lines += ["", f"{MLSERVER} reference of the req/s ratio: {reference}."]
    return "\n".join(lines)


def facts(python: Path | None, mlserver_python: Path | None) -> dict[str, str]:
    versions = mlserver = "n/a"
    if python:
        code = "import mlflow, sklearn, sys; print(sys.version.split()[0], mlflow.__version__, "
        code += "sklearn.__version__)"
        versions = " / ".join(run([python, "-c", code], ROOT).split())
    if mlserver_python:
        names = ("mlserver", "mlserver-sklearn", "scikit-learn", "numpy", "uvloop", "httptools")
        code = f"import sys; from importlib.metadata import version; names = {names!r}; "
        code += "print(sys.version.split()[0], *map(version, names))"
        mlserver = " / ".join(run([mlserver_python, "-c", code], ROOT).split())
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.system()} {platform.machine()}, nproc {os.cpu_count()}",
        "project python / mlflow / scikit-learn": versions,
        "MLServer venv python / mlserver / mlserver-sklearn / scikit-learn / numpy / uvloop / "
        "httptools": mlserver,
        "MLServer native threads": ", ".join(f"{k}={v}" for k, v in MLSERVER_THREADS.items()),
    }


def _answer(text: str) -> str:
    key, sep, _ = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"not KEY=VALUE: {text!r}")
    if key == "serving":
        raise argparse.ArgumentTypeError("serving is set per build: use --serving")
    return text


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000, help="requests per level")
    parser.add_argument("--out", type=Path, help="write the report section of this Markdown file")
    parser.add_argument(
        "--serving",
        action="append",
        choices=SERVINGS,
        help="build and measure only this serving choice (repeatable; default: all)",
    )
    parser.add_argument(
        "--data",
        action="append",
        default=[],
        type=_answer,
        metavar="KEY=VALUE",
        help="extra answer passed to every `copier copy` (repeatable), e.g. edge_runtime=onnx",
    )
    sub = parser.add_subparsers(dest="command")
    helpers = {
        "peer": sub.add_parser("peer", help="(internal) measure MLflow; run under a project venv"),
        "mlserver-peer": sub.add_parser(
            "mlserver-peer", help="(internal) measure MLServer; run under a project venv"
        ),
    }
    for helper_parser in helpers.values():
        for name in ("package", "project", "work"):
            helper_parser.add_argument(f"--{name}", required=True)
    helpers["mlserver-peer"].add_argument("--mlserver-python", required=True)
    args = parser.parse_args(argv)
    if args.command == "peer":
        print(json.dumps(peer(args.package, Path(args.project), Path(args.work), args.requests)))
        return
    if args.command == "mlserver-peer":
        where = (Path(args.project), Path(args.work), Path(args.mlserver_python))
        print(json.dumps(mlserver_peer(args.package, *where, args.requests)))
        return

    servings = [s for s in SERVINGS if s in (args.serving or SERVINGS)]
    started, uptime_start = time.perf_counter(), run(["uptime"], ROOT).strip()
    rows: dict[str, list[Row]] = {}
    failures: list[str] = []
    notes: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="serving-bench-") as tmp:
        work = Path(tmp)
        # uv's build locks and every other temporary file of the builds and servers go here,
        # removed with the run, instead of into the machine's temporary directory.
        (work / "tmp").mkdir()
        ENV["TMPDIR"] = str(work / "tmp")
        src = work / "template"
        for part in ("templates", "hooks", "options"):
            if (ROOT / part).is_dir():
                shutil.copytree(ROOT / part, src / part, ignore=IGNORED)
        shutil.copy2(ROOT / "copier.yml", src / "copier.yml")
        built: dict[str, tuple[Path, str]] = {}
        for serving in servings:  # build all first: the measurements then run back to back
            print(f"… build {serving}", file=sys.stderr)
            try:
                built[serving] = build(src, work / serving, serving, args.data)
            except Exception as error:
                failures.append(f"build {serving}: {error}")
        fastapi = built.get("fastapi")
        mlserver_python: Path | None = None
        if fastapi:
            print("… install MLServer", file=sys.stderr)
            try:
                mlserver_python = install_mlserver(work / "mlserver-venv", fastapi[0])
            except Exception as error:
                failures.append(f"install MLServer: {error}")
        for serving, (python, _) in built.items():
            print(f"… bench {serving}", file=sys.stderr)
            bench = [python, "-m", "benchmarks.serving", "--json", "--requests", args.requests]
            try:
                measured = rows_of(run(bench, work / serving))
            except Exception as error:
                failures.append(f"bench {serving}: {error}")
                continue
            add_bench_rows(rows, serving, measured)
        if fastapi:
            python, package = fastapi
            for command, extra in (
                ("peer", []),
                ("mlserver-peer", ["--mlserver-python", mlserver_python]),
            ):
                if command == "mlserver-peer" and not mlserver_python:
                    continue
                print(f"… {command}", file=sys.stderr)
                (peer_dir := work / command).mkdir()
                helper = [python, Path(__file__).resolve(), "--requests", args.requests, command]
                helper += ["--package", package, "--project", work / "fastapi"]
                helper += ["--work", peer_dir, *extra]
                try:
                    stdout = run(helper, work / "fastapi")
                    if command == "mlserver-peer":
                        answer = json.loads(stdout.strip().splitlines()[-1])
                        measured, notes["MLServer check"] = answer["rows"], answer["check"]
                    else:
                        measured = rows_of(stdout)
                except Exception as error:
                    failures.append(f"{command}: {error}")
                    continue
                for m in measured:
                    rows.setdefault(m["target"], []).append(m)
        info = {
            **facts(fastapi[0] if fastapi else None, mlserver_python),
            **notes,
            "servings": ", ".join(servings),
            "extra copier answers": " ".join(args.data) or "none",
            "requests per level": str(args.requests),
            "`uptime` before": uptime_start,
            "`uptime` after": run(["uptime"], ROOT).strip(),
            f"wall time ({len(servings)} builds + all measurements)": (
                f"{time.perf_counter() - started:.0f} s"
            ),
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
