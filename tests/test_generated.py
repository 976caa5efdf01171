"""Generated projects pass their own lint, type checks and test suite (slow; `--combos`).

Each combination is rendered into its own folder and installed the way its README says:
`make install` writes uv.lock (resolving no newer than the template's pin date,
`[tool.uv] exclude-newer` in the template's pyproject.toml) and installs from it, into the
venv the worker's earlier projects on its Python used (helpers.venv_path); a second
`make install` must find nothing to do. With `--latest` the projects resolve the newest
releases, and a failure names the packages that differ from the pinned resolution.

Every step runs with TMPDIR set to a fresh empty folder, and must leave it empty: a
generated project cleans up after its servers, downloads and orchestrators.
"""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from filelock import FileLock

from tests.combos import Combo, Template
from tests.helpers import (
    find_python,
    make_install,
    mypy_cache,
    newer_than_pin,
    pin_date,
    render,
    run_env,
    tool,
    uv_env,
    uv_pin,
    venv_path,
)
from tests.options import Option, declarations

pytestmark = pytest.mark.generated

# (name, command, timeout in seconds): what `make lint` and `make test` run in the project.
PYTEST = ["pytest", "-q", "-p", "no:cacheprovider"]
# The plugin that reports the heavy markers' seconds within a project's pytest (see _plan).
PROJECT_PLUGINS = Path(__file__).parent / "project_plugins"
STEPS = [
    ("ruff check", ["ruff", "check", "."], 120),
    ("ruff format", ["ruff", "format", "--check", "."], 120),
    ("mypy", ["mypy"], 900),
    ("pytest", PYTEST, 1800),
]

# Heavy tests, by their marker in the generated project, and the axis whose every value
# runs them once in the tier: the orchestrators' real runs (Airflow, Prefect, kfp, Dagster:
# 16-50 s a project) and Terraform (`terraform test` beside an apply and destroy against
# moto's AWS emulator: about 100 s). They run once per value of that axis, each in a
# project with no other heavy run where the tier has one, within its pytest (the summary
# says what they cost, from tests/project_plugins/heavy_seconds.py); the rest of every
# project's suite (the DAG or flow built and checked, the Terraform formatted, mypy over
# all of it) runs in all. What they wrap runs for real in every project: the pipeline
# steps, and the Terraform's static checks in the template's tier. Add an axis to a
# marker's `meets` to run it where its axis meets each of that axis's values too
# (python_version for orchestration: 3 runs per orchestrator, ~3 min more CI).
HEAVY: dict[str, tuple[str, tuple[str, ...]]] = {  # marker: (axis, meets)
    "orchestration": ("orchestrator", ()),
    "terraform": ("aws_target", ()),
}
# Heavy tests run in as few of the projects that have them as meet every value of these
# axes once: the monitoring loop (real Evidently runs, promotions under load, and the
# end-to-end test: a server, shifted traffic, monitor, retraining through the chosen
# orchestrator, the server answering with the new champion): 1-5 min a project; the
# HTTP servers' fuzzer (schemathesis, thousands of requests: 13 s of a Flask project's
# 49 s of tests), whose target is the server, its routes (SageMaker's) and its schema.
COVERED: dict[str, tuple[str, ...]] = {
    "loop": ("serving", "orchestrator", "task"),
    "fuzz": ("serving", "aws_target", "task"),
}
EVERY_PROJECT = ("loop",)  # the other markers come with an option (its `pytest_markers`)
HEAVY_MARKERS = (*HEAVY, *COVERED)


@functools.cache
def _options() -> list[Option]:
    return declarations()


def _heavy(combo: Combo) -> list[str]:
    """The heavy markers this combination's project has: HEAVY's where its axis has a
    value (not none), COVERED's where every project has them or a chosen option does."""
    answers = combo.answers_dict
    own = [m for m, (axis, _) in HEAVY.items() if answers.get(axis) not in (None, "none")]
    declared = {
        marker.split(":")[0]
        for option in _options()
        if option.chosen(answers)
        for marker in option.facts.get("pytest_markers", ())
    }
    return [*own, *(m for m in COVERED if m in EVERY_PROJECT or m in declared)]


def _cover(tier: list[Combo], axes: tuple[str, ...], load: dict[str, int]) -> set[str]:
    """Projects that together meet every value of `axes`, greedily: the one meeting the
    most values not met yet, then the least loaded, then tier order."""
    values = {combo.id: {(a, combo.answers_dict.get(a)) for a in axes} for combo in tier}
    missing = set().union(*values.values())
    chosen: set[str] = set()
    while missing:
        project = max(
            (combo.id for combo in tier),
            key=lambda combo_id: (len(values[combo_id] & missing), -load.get(combo_id, 0)),
        )
        missing -= values[project]
        load[project] = load.get(project, 0) + 1
        chosen.add(project)
    return chosen


def place_heavy_runs(tier: list[Combo]) -> dict[str, set[str]]:
    """Per heavy marker, the ids of the combinations whose project runs those tests.

    Each value of a marker's axis (met with its `meets`) runs once, in the project that
    carries the fewest heavy runs already, the values with the fewest candidates placed
    first: heavy steps piled on the tier's first projects made them 450-510 s each and
    the slowest to finish, while the projects after them ran none.
    """
    candidates: dict[tuple[object, ...], list[str]] = {}
    for combo in tier:
        answers = combo.answers_dict
        for marker in _heavy(combo):
            if marker in COVERED:
                continue
            axis, meets = HEAVY[marker]
            meeting = (marker, *(answers.get(a) for a in (axis, *meets)))
            candidates.setdefault(meeting, []).append(combo.id)
    load: dict[str, int] = {}
    chosen: dict[str, set[str]] = {marker: set() for marker in HEAVY}
    for meeting, ids in sorted(candidates.items(), key=lambda item: len(item[1])):
        project = min(ids, key=lambda combo_id: load.get(combo_id, 0))  # ties: tier order
        load[project] = load.get(project, 0) + 1
        chosen[str(meeting[0])].add(project)
    for marker, axes in COVERED.items():
        chosen[marker] = _cover([c for c in tier if marker in _heavy(c)], axes, load)
    return chosen


@pytest.fixture(scope="session")
def heavy_runs(template: Template, request: pytest.FixtureRequest) -> dict[str, set[str]]:
    return place_heavy_runs(template.tier(request.config.getoption("--combos")))


def run_first(items: list[pytest.Item], tier: list[Combo]) -> list[pytest.Item]:
    """The items in the order the workers should start them: longest first.

    xdist's worksteal hands each worker half of the list and lets an idle one take the
    back half of the other's queue, so the end of the run is as long as the items left
    last: projects with a heavy run, then the other installed projects (own data too),
    then the locks of the `apart` pairs, then the static checks, which are seconds each.
    Stable within each group.
    """
    heavy = set().union(*place_heavy_runs(tier).values())

    def rank(item: pytest.Item) -> int:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if item.get_closest_marker("generated") is None:
            return 3
        if "apart" in params:
            return 2
        combo = params.get("combo")
        return 0 if isinstance(combo, Combo) and combo.id in heavy else 1

    return sorted(items, key=rank)


def _plan(combo: Combo, heavy_runs: dict[str, set[str]]) -> list[tuple[str, list[str], int]]:
    """STEPS, the project's pytest without the heavy markers placed in other projects.

    The heavy tests placed here run in the same pytest as the rest of the suite: a run of
    their own paid the imports, the collection and the session fixtures (a trained
    champion, a server) again, 10-15 s a project. tests/project_plugins/heavy_seconds.py
    reports what they cost within it.
    """
    elsewhere = [m for m in _heavy(combo) if combo.id not in heavy_runs[m]]
    if not elsewhere:
        return STEPS
    deselect = " and ".join(f"not {m}" for m in elsewhere)
    return [*STEPS[:-1], ("pytest", [*PYTEST, "-m", deselect], 1800)]


# uv sync's report: "Resolved 152 packages in 2ms", then what it changed, if anything
# ("Installed 3 packages", " + fastapi==0.121.0", " - ...", " ~ ...").
RESOLVED = re.compile(r"^Resolved \d+ packages", re.MULTILINE)
CHANGED = re.compile(r"^(Installed|Uninstalled|Updated| [-+~] )", re.MULTILINE)


@dataclass
class Step:
    name: str
    returncode: int
    output: str
    seconds: float = 0.0
    left_behind: tuple[str, ...] = ()
    heavy: dict[str, float] = field(default_factory=dict)  # pytest: seconds by heavy marker


def python_or_skip(combo: Combo) -> str:
    """The interpreter for the combination's Python version; the test skips without one."""
    here = f"{sys.version_info[0]}.{sys.version_info[1]}"
    version = str(combo.answers_dict.get("python_version", here))
    python = find_python(version)
    if python is None:
        pytest.skip(f"Python {version} is not installed (looked on PATH, in pyenv, with uv)")
    return python


def _run_step(
    name: str, argv: list[str], timeout: int, venv: Path, project: Path, scratch: Path
) -> Step:
    """Run one step with TMPDIR an empty folder under `scratch`; note what it leaves there."""
    tmpdir = scratch / "tmp"
    tmpdir.mkdir(parents=True)
    env = run_env(venv)
    env["TMPDIR"] = str(tmpdir)
    env["MYPY_CACHE_DIR"] = str(mypy_cache(venv))
    heavy_seconds = scratch / "heavy-seconds.json"
    if argv[0] == "pytest":
        # pytest keeps the basetemps of its last runs on purpose: outside the checked folder.
        argv = [*argv, "--basetemp", str(scratch / "basetemp"), "-p", "heavy_seconds"]
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(PROJECT_PLUGINS), env.get("PYTHONPATH")])
        )
        env["HEAVY_SECONDS_MARKERS"] = ",".join(HEAVY_MARKERS)
        env["HEAVY_SECONDS_PATH"] = str(heavy_seconds)
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
    heavy = json.loads(heavy_seconds.read_text()) if heavy_seconds.exists() else {}
    return Step(name, done.returncode, done.stdout + done.stderr, seconds, left, heavy)


def test_generated_project_passes_its_own_checks(
    combo: Combo,
    heavy_runs: dict[str, set[str]],
    template_dir: Path,
    tmp_path: Path,
    record_property: Callable[[str, object], None],
) -> None:
    """ruff, mypy and pytest of the generated project all pass for this combination."""
    python = python_or_skip(combo)
    project = render(template_dir, combo, tmp_path / "project")
    venv = venv_path(python)
    venv.parent.mkdir(parents=True, exist_ok=True)
    orchestrator = combo.answers_dict.get("orchestrator", "none")
    with FileLock(f"{venv}.lock"):  # venvs are shared by combos with the same dependencies
        start = time.perf_counter()
        second = make_install(project, venv, python)
        installed = time.perf_counter() - start
        lock = (project / "uv.lock").read_bytes()
        assert RESOLVED.search(second) and not CHANGED.search(second), (
            f"a second `make install` changed the environment:\n{second}"
        )
        plan = _plan(combo, heavy_runs)
        steps = [
            _run_step(name, argv, timeout, venv, project, tmp_path / "steps" / str(index))
            for index, (name, argv, timeout) in enumerate(plan)
        ]
    # Read by conftest.pytest_terminal_summary: seconds per step, grouped by orchestrator.
    record_property(
        "timings",
        {
            "combo": combo.id,
            "orchestrator": orchestrator,
            "install": round(installed, 1),
            **{step.name: round(step.seconds - sum(step.heavy.values()), 1) for step in steps},
            **{
                f"pytest {marker}": round(seconds, 1)
                for step in steps
                for marker, seconds in step.heavy.items()
                if combo.id in heavy_runs[marker]
            },
        },
    )
    problems = [
        f"── {s.name}: exit {s.returncode}\n{s.output[-6000:]}" for s in steps if s.returncode
    ]
    if (project / "uv.lock").read_bytes() != lock:
        problems.append("── uv.lock changed while the project's checks ran")
    if problems and uv_pin() is None:  # --latest: name what the newest releases changed
        newer = newer_than_pin(project, python, pin_date())
        problems.insert(0, f"── resolved newer than the pin {pin_date()}:\n  " + "\n  ".join(newer))
    problems += [
        f"── {s.name} left in TMPDIR: {', '.join(s.left_behind)}" for s in steps if s.left_behind
    ]
    assert not problems, f"{combo.id} in {project}:\n" + "\n\n".join(problems)


def test_options_run_apart_still_lock_together(
    apart: Combo, template_dir: Path, tmp_path: Path
) -> None:
    """A pair of values the `runtime` tier does not run (options/run_apart.yml) resolves:
    the project's own `make lock` writes a universal uv.lock at the pin date."""
    python = python_or_skip(apart)
    uv = tool("uv")
    assert uv, "uv is needed to lock the generated project"
    project = render(template_dir, apart, tmp_path / "project")
    argv = ["make", "lock", f"PYTHON={python}", f"UV={uv}"]
    # uv leaves its build locks (uv-setuptools-*.lock) in TMPDIR: the test's own folder.
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = uv_env() | {"TMPDIR": str(scratch)}
    done = subprocess.run(argv, cwd=project, env=env, capture_output=True, text=True)
    assert done.returncode == 0, f"{apart.id}: make lock failed\n{done.stdout}{done.stderr}"
    assert (project / "uv.lock").is_file()
