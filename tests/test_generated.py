"""Generated projects pass their own lint, type checks and test suite (slow; `--combos`).

Each combination is rendered into its own folder and installed into a venv cached by its
dependency lists and Python version (helpers.venv_path), so only the first run per
dependency set pays for the download; the project itself is installed editable each time.

Every step runs with TMPDIR set to a fresh empty folder, and must leave it empty: a
generated project cleans up after its servers, downloads and orchestrators.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from filelock import FileLock

from tests.combos import Combo
from tests.helpers import ensure_venv, find_python, render, run_checked, tool, venv_path

pytestmark = pytest.mark.generated

# (name, command, timeout in seconds): what `make lint` and `make test` run in the project.
# Projects with an orchestrator run its tests (marker `orchestration`, the heavy stacks)
# as a group of their own, so the summary can say how long each orchestrator costs.
PYTEST = ["pytest", "-q", "-p", "no:cacheprovider"]
STEPS = [
    ("ruff check", ["ruff", "check", "."], 120),
    ("ruff format", ["ruff", "format", "--check", "."], 120),
    ("mypy", ["mypy"], 900),
    ("pytest", PYTEST, 1800),
]
ORCHESTRATED_STEPS = [
    *STEPS[:-1],
    ("pytest", [*PYTEST, "-m", "not orchestration"], 1800),
    ("pytest orchestration", [*PYTEST, "-m", "orchestration"], 1800),
]


# Code generated at build time that `make install` runs after installing (gRPC stubs).
BUILD_TIME_TARGETS = ("proto",)


def _build_time_targets(project: Path) -> list[str]:
    makefile = (project / "Makefile").read_text()
    return [t for t in BUILD_TIME_TARGETS if re.search(rf"^{t}:", makefile, re.MULTILINE)]


@dataclass
class Step:
    name: str
    returncode: int
    output: str
    seconds: float = 0.0
    left_behind: tuple[str, ...] = ()


def _run_step(
    name: str, argv: list[str], timeout: int, venv: Path, project: Path, scratch: Path
) -> Step:
    """Run one step with TMPDIR an empty folder under `scratch`; note what it leaves there."""
    tmpdir = scratch / "tmp"
    tmpdir.mkdir(parents=True)
    if argv[0] == "pytest":
        # pytest keeps the basetemps of its last runs on purpose: outside the checked folder.
        argv = [*argv, "--basetemp", str(scratch / "basetemp")]
    # The outer pytest's variables (xdist worker ids, PYTEST_ADDOPTS) must not leak in.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env |= {"VIRTUAL_ENV": str(venv), "PATH": f"{venv / 'bin'}{os.pathsep}{env['PATH']}"}
    env["TMPDIR"] = str(tmpdir)
    # One mypy cache per venv (its users run one at a time, under the venv's lock): the
    # installed packages (Airflow, Prefect, Dagster are large and typed) are analysed once.
    env["MYPY_CACHE_DIR"] = str(venv / ".mypy_cache")
    command = [str(venv / "bin" / argv[0]), *argv[1:]]
    start = time.perf_counter()
    try:
        done = subprocess.run(
            command, cwd=project, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired as expired:
        out = expired.stdout or b""
        partial = out.decode(errors="replace") if isinstance(out, bytes) else out
        return Step(name, -1, f"timed out after {timeout}s\n{partial}", timeout)
    seconds = time.perf_counter() - start
    left = tuple(sorted(path.name for path in tmpdir.iterdir()))
    return Step(name, done.returncode, done.stdout + done.stderr, seconds, left)


def test_generated_project_passes_its_own_checks(
    combo: Combo,
    template_dir: Path,
    tmp_path: Path,
    record_property: Callable[[str, object], None],
) -> None:
    """ruff, mypy and pytest of the generated project all pass for this combination."""
    version = str(
        combo.answers_dict.get("python_version", f"{sys.version_info[0]}.{sys.version_info[1]}")
    )
    python = find_python(version)
    if python is None:
        pytest.skip(f"Python {version} is not installed (looked on PATH, in pyenv, with uv)")
    uv = tool("uv")
    assert uv, "uv is needed to install the generated project"
    project = render(template_dir, combo, tmp_path / "project")
    venv = venv_path(project, python)
    venv.parent.mkdir(parents=True, exist_ok=True)
    orchestrated = combo.answers_dict.get("orchestrator", "none") != "none"
    with FileLock(f"{venv}.lock"):  # venvs are shared by combos with the same dependencies
        start = time.perf_counter()
        ensure_venv(venv, project, python)
        install = [uv, "pip", "install", "--quiet", "--python", str(venv / "bin" / "python")]
        run_checked([*install, "--no-deps", "-e", "."], project)
        for target in _build_time_targets(project):
            run_checked(["make", target, f"VENV={venv}"], project)
        installed = time.perf_counter() - start
        plan = ORCHESTRATED_STEPS if orchestrated else STEPS
        steps = [
            _run_step(name, argv, timeout, venv, project, tmp_path / "steps" / str(index))
            for index, (name, argv, timeout) in enumerate(plan)
        ]
    # Read by conftest.pytest_terminal_summary: seconds per step, grouped by orchestrator.
    record_property(
        "timings",
        {
            "combo": combo.id,
            "orchestrator": combo.answers_dict.get("orchestrator", "none"),
            "install": round(installed, 1),
            **{step.name: round(step.seconds, 1) for step in steps},
        },
    )
    problems = [
        f"── {s.name}: exit {s.returncode}\n{s.output[-6000:]}" for s in steps if s.returncode
    ]
    problems += [
        f"── {s.name} left in TMPDIR: {', '.join(s.left_behind)}" for s in steps if s.left_behind
    ]
    assert not problems, f"{combo.id} in {project}:\n" + "\n\n".join(problems)
