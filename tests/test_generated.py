"""Generated projects pass their own lint, type checks and test suite (slow; `--combos`).

Each combination is rendered into its own folder and installed into a venv cached by its
dependency lists and Python version (helpers.venv_path), so only the first run per
dependency set pays for the download; the project itself is installed editable each time.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from filelock import FileLock

from tests.combos import Combo
from tests.helpers import ensure_venv, find_python, render, run_checked, tool, venv_path

pytestmark = pytest.mark.generated

# (name, command, timeout in seconds): what `make lint` and `make test` run in the project.
STEPS = [
    ("ruff check", ["ruff", "check", "."], 120),
    ("ruff format", ["ruff", "format", "--check", "."], 120),
    ("mypy", ["mypy"], 900),
    ("pytest", ["pytest", "-q", "-p", "no:cacheprovider"], 1800),
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


def _run_step(name: str, argv: list[str], timeout: int, venv: Path, project: Path) -> Step:
    # The outer pytest's variables (xdist worker ids, PYTEST_ADDOPTS) must not leak in.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env |= {"VIRTUAL_ENV": str(venv), "PATH": f"{venv / 'bin'}{os.pathsep}{env['PATH']}"}
    command = [str(venv / "bin" / argv[0]), *argv[1:]]
    try:
        done = subprocess.run(
            command, cwd=project, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired as expired:
        out = expired.stdout or b""
        partial = out.decode(errors="replace") if isinstance(out, bytes) else out
        return Step(name, -1, f"timed out after {timeout}s\n{partial}")
    return Step(name, done.returncode, done.stdout + done.stderr)


def test_generated_project_passes_its_own_checks(
    combo: Combo, template_dir: Path, tmp_path: Path
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
    with FileLock(f"{venv}.lock"):  # venvs are shared by combos with the same dependencies
        ensure_venv(venv, project, python)
        install = [uv, "pip", "install", "--quiet", "--python", str(venv / "bin" / "python")]
        run_checked([*install, "--no-deps", "-e", "."], project)
        for target in _build_time_targets(project):
            run_checked(["make", target, f"VENV={venv}"], project)
        steps = [_run_step(name, argv, timeout, venv, project) for name, argv, timeout in STEPS]
    failed = [step for step in steps if step.returncode != 0]
    report = "\n\n".join(f"── {s.name}: exit {s.returncode}\n{s.output[-6000:]}" for s in failed)
    assert not failed, f"{combo.id} in {project}:\n{report}"
