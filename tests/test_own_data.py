"""A user's own table, end to end: `make schema`, train, serve, predict, and the project's tests.

Two foreign tables (tests/data/own_data): scikit-learn's breast cancer data, all numeric
with an integer id and a timestamp (binary classification), and customer spend with
missing values, a closed category, free text and no time column (regression). For each
serving choice, a combination of the tier being installed with that serving choice and
the table's task is rendered (one without an orchestrator first: its dependencies are
that tier project's, so the worker's venv needs few changes), else the pairwise one
without an orchestrator; its sample data is
replaced by one of the tables, its schema written by the project's own `schema` command
from the CSV, then the model trained on the file and served (or the file batch-scored)
and asked for predictions, compared with the champion in process.
On the FastAPI and gRPC projects the generated project's own checks then run
(ruff, mypy, pytest without the heavy markers), unedited: they follow the schema.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from filelock import FileLock

from tests.combos import Combo, Template, load
from tests.helpers import make_install, render, run_checked, run_env, venv_path
from tests.test_generated import HEAVY_MARKERS, _plan, _run_step, python_or_skip

pytestmark = pytest.mark.generated
DATA = Path(__file__).parent / "data" / "own_data"


@dataclass(frozen=True)
class Table:
    """A foreign table: the script that writes it, its task, target and identifier columns."""

    script: str
    task: str
    target: str
    id_column: str


TABLES = {
    "breast_cancer": Table("breast_cancer.py", "binary_classification", "label", "id"),
    "customers": Table("customers.py", "regression", "monthly_spend", "customer_id"),
}
# Which table each serving choice is tried with, and whether the project's own checks
# run too (both tables, and gRPC's generated .proto, are covered; the other
# servers' checks cost ~1 min of CI each and hold the same schema-derived cases).
# CI's runtime tier runs the first case, with its checks: the schema command, training on
# the file and the schema-derived tests are the same code for every serving choice.
# Every case, and the checks of gRPC's regenerated stubs, from pairwise up.
CASES = [
    ("fastapi", "breast_cancer", True),
    ("flask", "customers", False),
    ("grpc", "customers", True),
    ("bentoml", "breast_cancer", False),
    ("batch", "customers", False),
]


def _combo(template: Template, serving: str, task: str, tier: str) -> Combo:
    """A combination of the tier being installed with `serving` and `task`, one without an
    orchestrator first: its project has that tier project's dependencies, so syncing the
    worker's venv (helpers.venv_path) to it changes little. Else the pairwise combination
    of `serving` without an orchestrator, for `task`."""
    installed = [
        c
        for c in template.tier(tier)  # type: ignore[arg-type]
        if c.data_dict.get("serving") == serving and c.data_dict.get("task") == task
    ]
    if installed:
        return min(installed, key=lambda c: c.data_dict.get("orchestrator") != "none")
    base = next(
        c
        for c in template.pairwise
        if c.data_dict.get("serving") == serving and c.data_dict.get("orchestrator") == "none"
    )
    picks = {k: v for k, v in base.data_dict.items() if k != "streaming" or task != "regression"}
    combo = template.evaluate({**picks, "task": task})
    assert combo.valid, combo.error
    return combo


def _python(venv: Path) -> str:
    return str(venv / "bin" / "python")


def _run(venv: Path, project: Path, argv: list[str], **env: str) -> str:
    """A command in the project's venv; its output, or a failure showing it."""
    done = subprocess.run(
        argv, cwd=project, env=run_env(venv) | env, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, f"{' '.join(argv)}:\n{done.stdout[-4000:]}{done.stderr[-4000:]}"
    return done.stdout


@pytest.mark.parametrize(("serving", "table", "checks"), CASES, ids=[c[0] for c in CASES])
def test_own_table_end_to_end(
    serving: str,
    table: str,
    checks: bool,
    template_dir: Path,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    tier = request.config.getoption("--combos")
    if tier in ("smoke", "runtime") and (serving, table, checks) != CASES[0]:
        pytest.skip(f"one table and serving choice in the {tier} tier; all from pairwise up")
    spec = TABLES[table]
    combo = _combo(load(), serving, spec.task, tier)
    python = python_or_skip(combo)
    project = render(template_dir, combo, tmp_path / "project")
    package = str(combo.answers_dict["package_name"])
    venv = venv_path(python)
    venv.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(f"{venv}.lock"):
        make_install(project, venv, python)
        csv = tmp_path / f"{table}.csv"
        _run(venv, project, [_python(venv), str(DATA / spec.script), str(csv)])

        # The one command: the schema module, written from the table.
        module = project / "src" / package / "core" / "schemas.py"
        before = module.read_text()
        _run(
            venv,
            project,
            [_python(venv), "-m", package, "schema", "--from", str(csv), "--target", spec.target],
        )
        written = module.read_text()
        assert written != before and spec.target in written and spec.id_column in written
        if re.search(r"^proto:", (project / "Makefile").read_text(), re.MULTILINE):
            run_checked(["make", "proto", f"VENV={venv}"], project)  # stubs of the new schema

        # Train on the file, then ask the server (or the batch job) for predictions.
        on_file = {"DATA_SOURCE": "file", "DATA_PATH": str(csv)}
        _run(venv, project, [_python(venv), "-m", package, "pipeline"], **on_file)
        if serving == "batch":
            output = tmp_path / "predictions.csv"
            _run(venv, project, [_python(venv), "-m", package, "score", str(csv), str(output)])
            lines = output.read_text().splitlines()
            assert len(lines) == len(csv.read_text().splitlines()), lines[:3]
        else:
            log = tmp_path / "server.log"
            printed = _run(
                venv,
                project,
                [_python(venv), str(DATA / "predict.py"), package, str(csv), str(log)],
            )
            answers = json.loads(printed.splitlines()[-1])
            assert len(answers["served"]) == 5, printed
            for served, in_process in zip(answers["served"], answers["in_process"], strict=True):
                assert served == pytest.approx(in_process), printed

        if not checks:
            return
        # The project's own checks, unedited: they derive their cases from the schema. Of
        # the heavy markers only the fuzzer reads it (the server's OpenAPI document); the
        # others (orchestrator runs, Terraform, the loop) run in the tier.
        runs = {marker: {combo.id} if marker == "fuzz" else set() for marker in HEAVY_MARKERS}
        steps = [
            _run_step(name, argv, timeout, venv, project, tmp_path / "steps" / str(index))
            for index, (name, argv, timeout) in enumerate(_plan(combo, runs))
        ]
        problems = [
            f"── {s.name}: exit {s.returncode}\n{s.output[-6000:]}" for s in steps if s.returncode
        ]
        problems += [
            f"── {s.name} left in TMPDIR: {', '.join(s.left_behind)}"
            for s in steps
            if s.left_behind
        ]
        assert not problems, f"{combo.id} with {table} in {project}:\n" + "\n\n".join(problems)
