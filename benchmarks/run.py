"""`make bench`: how long the template takes to render, check, train and serve.

Four sections, each printed as a Markdown table:

1. copy: `copier copy` of the default project (CLI and in-process), from a plain git-less
   copy of the template so that no clone is timed.
2. matrix: render + `ruff check` + `ruff format --check` for every valid combination
   (tests.combos, tier "full"), and the wall time of the static test matrix as CI runs it.
3. pipeline: the generated default project's `python -m <pkg> pipeline`, fresh state each run.
4. serving: the generated project's own `python -m <pkg> bench --json`.

The working tree is measured, unless `--ref REF` names a commit to measure instead (its
copier.yml, templates, hooks and tests, via `git archive`: immune to edits in progress).
`--out docs/benchmarks.md` rewrites each section between `<!-- bench:NAME -->` and
`<!-- /bench:NAME -->` in that file; sections not run are left as they are.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import copier

if TYPE_CHECKING:
    from tests.combos import Combo, Template

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent  # the dev venv: copier, ruff, uv, pytest
SNAPSHOT = ("copier.yml", "pyproject.toml", "templates", "hooks", "tests")  # what --ref takes
IGNORED = shutil.ignore_patterns(".git", "__pycache__", ".ruff_cache", ".mypy_cache", ".venv")
STATE = ("data", "artifacts", "reports", "mlruns", "mlruns.db")  # pipeline outputs
# Bytecode caching on (this sandbox sets PYTHONDONTWRITEBYTECODE=1; a developer's machine
# does not): the first run of each command writes the cache and is reported apart.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
PYTHON = Path(".venv/bin/python")  # the generated project's venv, relative to the project
TARGETS: list[tuple[str, str, str, str]] = []  # filled by the sections, printed as a table

Result = subprocess.CompletedProcess[str]


# ── helpers ──────────────────────────────────────────────────────────────────


def run(
    argv: Sequence[object], cwd: Path = ROOT, check: bool = True, env: dict[str, str] = ENV
) -> tuple[float, Result]:
    """Run a command; return (seconds, result). A non-zero exit raises when `check`."""
    start = time.perf_counter()
    done = subprocess.run([str(a) for a in argv], cwd=cwd, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    if check and done.returncode:
        raise RuntimeError(f"{' '.join(map(str, argv))} failed:\n{done.stdout}{done.stderr}")
    return elapsed, done


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def p95(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def stats(first: float, times: Sequence[float], digits: int = 2) -> list[str]:
    """The first (warm-up) run, then median/min/max of the others."""
    return [f"{x:.{digits}f}" for x in (first, statistics.median(times), min(times), max(times))]


def table(header: Sequence[str], rows: Sequence[Sequence[object]], align: str = "") -> str:
    """A Markdown table; `align` has one character per column, ":" = right-aligned."""
    align = align or "-" + ":" * (len(header) - 1)
    marks = ("---:" if a == ":" else "---" for a in align)
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(marks) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def target(what: str, value: float, op: str, limit: float, unit: str = "") -> str:
    """Record a target (`op` is "<" or "≤") and say whether `value` meets it."""
    met = value < limit if op == "<" else value <= limit
    verdict = "met" if met else "**not met**"
    TARGETS.append((what, f"{op} {limit:g}{unit}", f"{value:.2f}{unit}", verdict))
    return f"Target: {what} {op} {limit:g}{unit}: {verdict}."


def load_avg() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def wait_for_load(limit: float, patience_s: float = 600) -> None:
    deadline = time.monotonic() + patience_s
    while limit and os.getloadavg()[0] > limit and time.monotonic() < deadline:
        print(f"load {load_avg()} > {limit}: waiting 30 s", file=sys.stderr)
        time.sleep(30)


# ── what is measured ─────────────────────────────────────────────────────────


def source_root(ref: str | None, work: Path) -> Path:
    """The repo itself, or the files of SNAPSHOT at commit `ref` extracted under `work`."""
    if ref is None:
        return ROOT
    argv = ["git", "archive", "--format=tar", ref, *SNAPSHOT]
    archive = subprocess.run(argv, cwd=ROOT, capture_output=True, check=True).stdout
    dst = work / "snapshot"
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(dst, filter="data")
    return dst


def describe(ref: str | None) -> str:
    sha = run(["git", "rev-parse", "--short", ref or "HEAD"])[1].stdout.strip()
    dirty = run(["git", "status", "--porcelain", "--", *SNAPSHOT])[1].stdout.strip()
    if ref is not None:
        return f"commit {sha} (`--ref {ref}`)"
    return f"working tree at {sha}" + (" with uncommitted changes" if dirty else "")


def matrix_of(root: Path) -> Template:
    """tests.combos as found in `root` (the repo or a snapshot of it)."""
    sys.path.insert(0, str(root))
    from tests.combos import load

    return load()


def template_copy(root: Path, template: Template, dst: Path) -> Path:
    """copier.yml, its `_subdirectory` and hooks/ in a plain folder: copier renders it in place."""
    dst.mkdir(parents=True)
    shutil.copy2(root / "copier.yml", dst / "copier.yml")
    for part in (template.config.get("subdirectory", "."), "hooks"):
        shutil.copytree(root / part, dst / part, ignore=IGNORED, dirs_exist_ok=True)
    return dst


def render(src: Path, dst: Path, data: dict[str, Any] | None = None) -> Path:
    copier.run_copy(str(src), str(dst), data=data or {}, defaults=True, unsafe=True, quiet=True)
    return dst


# ── sections ─────────────────────────────────────────────────────────────────


def bench_copy(src: Path, work: Path, runs: int) -> str:
    copy = [BIN / "copier", "copy", "--trust", "--defaults", "--quiet", src]
    cli = [run([*copy, work / f"cli{i}"])[0] for i in range(runs + 1)]
    api = [timed(partial(render, src, work / f"api{i}")) for i in range(runs + 1)]
    rows = [
        ["`copier copy` CLI", *stats(cli[0], cli[1:])],
        ["`copier.run_copy` in-process", *stats(api[0], api[1:])],
    ]
    header = ["default project", "first run s", f"median of {runs} s", "min s", "max s"]
    median = statistics.median(cli[1:])
    return table(header, rows) + "\n\n" + target("median CLI copy", median, "≤", 1.5, " s")


def check_combo(src: Path, work: Path, combo: Combo) -> tuple[float, float, str]:
    """Seconds to render, seconds to run ruff, and what failed ("" if nothing)."""
    dst = work / combo.id
    render_s = timed(lambda: render(src, dst, combo.data_dict))
    check_s, failed = 0.0, ""
    for command in (["check"], ["format", "--check"]):
        seconds, result = run([BIN / "ruff", *command, "--no-cache", "."], cwd=dst, check=False)
        check_s += seconds
        failed += f"`ruff {' '.join(command)}` " if result.returncode else ""
    shutil.rmtree(dst)
    return render_s, check_s, failed


def bench_matrix(root: Path, src: Path, work: Path, combos: list[Combo]) -> str:
    results = [check_combo(src, work, c) for c in combos]
    renders, checks = [r for r, _, _ in results], [c for _, c, _ in results]
    rows = [
        [name, *(f"{f(xs):.2f}" for f in (statistics.median, p95, sum))]
        for name, xs in (
            ("render (`run_copy`)", renders),
            ("`ruff check` + `ruff format --check`", checks),
            ("render + checks", [r + c for r, c in zip(renders, checks, strict=True)]),
        )
    ]
    failures = [f"{c.id}: {f}" for c, (_, _, f) in zip(combos, results, strict=True) if f]
    # The static matrix as CI runs it: environment as found, empty validator cache.
    with tempfile.TemporaryDirectory(prefix="bench-cache-") as cache:
        argv = [BIN / "pytest", "tests/test_static.py", "-n", "2", "-q", "-p", "no:cacheprovider"]
        env = {**os.environ, "COPIER_MLOPS_CACHE": cache}
        wall, result = run(argv, cwd=root, check=False, env=env)
    summary = (result.stdout.strip().splitlines() or ["no output"])[-1].strip("= ")
    return (
        table([f"{len(combos)} combinations", "median s", "p95 s", "total s"], rows)
        + f"\n\nruff failed in {len(failures)} of {len(combos)} combinations"
        + "".join(f"\n- {failure}" for failure in failures)
        + f"\n\n`pytest tests/test_static.py -n 2` (cold validator cache): **{wall:.1f} s** "
        f"wall — {summary}"
    )


def bench_pipeline(src: Path, project: Path, package: str, runs: int) -> str:
    """Render the default project into `project`, install it, time its pipeline."""
    render(src, project)
    install_s = run(["make", "install", "PYTHON=3.11", f"UV={BIN / 'uv'}"], cwd=project)[0]
    times: list[float] = []
    for _ in range(runs + 1):
        for name in STATE:
            path = project / name
            if path.is_dir():
                shutil.rmtree(path)
            path.unlink(missing_ok=True)
        times.append(run([PYTHON, "-m", package, "pipeline"], cwd=project)[0])
    rows = [[f"`python -m {package} pipeline`", *stats(times[0], times[1:], 1)]]
    header = ["20,000 rows, fresh state", "first run s", f"median of {runs} s", "min s", "max s"]
    return (
        table(header, rows)
        + "\n\n"
        + target("median pipeline", statistics.median(times[1:]), "<", 30, " s")
        + f" Setup, not timed above: `make install` (uv lock + uv sync) took "
        f"{install_s:.1f} s (with the uv cache as found)."
    )


MS = ("p50_ms", "p99_ms")


def rps(measurement: dict[str, Any]) -> str:
    return f"{measurement['throughput_rps']:.0f}"


def bench_serving(project: Path, package: str, requests: int) -> str:
    argv = [PYTHON, "-m", "benchmarks.serving", "--json", "--requests", str(requests)]
    out = run(argv, cwd=project)[1].stdout
    results: list[dict[str, Any]] = json.loads(out[out.index("[") :])
    rows = [
        [m["target"], m["concurrency"], m["requests"], *(f"{m[k]:.2f}" for k in MS), rps(m)]
        for m in results
    ]
    p99 = {(m["target"], m["concurrency"]): m["p99_ms"] for m in results}
    floor = next(name for name, _ in p99 if name.endswith("(floor)"))
    ratios = {c: p99["server", c] / p99[floor, c] for name, c in p99 if name == "server"}
    return (
        table(["target", "concurrency", "requests", "p50 ms", "p99 ms", "req/s"], rows, "-:::::")
        + "\n\n"
        + table(
            ["concurrency", "server p99 / floor p99"], [[c, f"{r:.2f}"] for c, r in ratios.items()]
        )
        + "\n\n"
        + target("server p99 / floor p99 at concurrency 8", ratios[8], "≤", 2)
    )


def machine(ref: str | None, load_start: str, started: float) -> str:
    versions = (run([BIN / t, "--version"])[1].stdout.split()[1] for t in ("copier", "ruff", "uv"))
    facts = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "template measured": describe(ref),
        "nproc": os.cpu_count(),
        "machine": f"{platform.system()} {platform.machine()}",
        "python (dev venv)": platform.python_version(),
        "PYTHONDONTWRITEBYTECODE as found": os.environ.get("PYTHONDONTWRITEBYTECODE", "unset"),
        "copier / ruff / uv": " / ".join(versions),
        "load average (1/5/15 min) at start": load_start,
        "load average at end": load_avg(),
        "whole benchmark": f"{time.perf_counter() - started:.0f} s",
    }
    return table(["fact", "value"], list(facts.items()), "--")


# ── main ─────────────────────────────────────────────────────────────────────


def write_sections(path: Path, sections: dict[str, str]) -> None:
    """Replace each section between its markers; append sections the file lacks."""
    text = path.read_text() if path.exists() else ""
    for name, body in sections.items():
        start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
        block = f"{start}\n{body}\n{end}"
        if start in text and end in text:
            text = text[: text.index(start)] + block + text[text.index(end) + len(end) :]
        else:
            text += f"\n{block}\n"
    path.write_text(text)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="copies per copy timing")
    parser.add_argument("--pipeline-runs", type=int, default=3, help="fresh pipeline runs")
    parser.add_argument("--requests", type=int, default=2000, help="serving requests per level")
    parser.add_argument("--skip-serving", action="store_true", help="skip the serving section")
    parser.add_argument("--ref", help="measure this commit instead of the working tree")
    parser.add_argument(
        "--wait-load",
        type=float,
        default=0.0,
        metavar="LOAD",
        help="first wait (up to 10 min) for the 1-minute load average to drop below LOAD",
    )
    parser.add_argument("--out", type=Path, help="rewrite the sections of this Markdown file")
    args = parser.parse_args(argv)

    wait_for_load(args.wait_load)
    started, load_start = time.perf_counter(), load_avg()
    sections: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="copier-mlops-bench-") as tmp:
        work = Path(tmp)
        root = source_root(args.ref, work)
        template = matrix_of(root)
        package = str(template.evaluate({}).answers_dict["package_name"])
        src, project = template_copy(root, template, work / "template"), work / "project"
        steps: dict[str, Callable[[], str]] = {
            "copy": lambda: bench_copy(src, work, args.runs),
            "matrix": lambda: bench_matrix(root, src, work, template.tier("full")),
            "pipeline": lambda: bench_pipeline(src, project, package, args.pipeline_runs),
        }
        if not args.skip_serving:  # needs the project trained by "pipeline"
            steps["serving"] = lambda: bench_serving(project, package, args.requests)
        for name, step in steps.items():
            print(f"… {name} (load {load_avg()})", file=sys.stderr)
            try:
                body = step()
            except Exception as error:  # a template in mid-edit: report, go on
                body = f"**Failed**:\n\n```\n{str(error)[-3000:]}\n```"
            sections[name] = body + f"\n\nLoad average after this section: {load_avg()}."
    sections = {
        "machine": machine(args.ref, load_start, started),
        "targets": table(["target", "limit", "measured", "verdict"], TARGETS, "----"),
        **sections,
    }
    for name, body in sections.items():
        print(f"## {name}\n\n{body}\n")
    if args.out:
        write_sections(args.out, sections)


if __name__ == "__main__":
    main()
