"""Golden renders: six diverse projects, each file's sha256, kept in the repository.

A refactor of the template's mechanics must not change what users get. The golden
manifests pin every file of six projects that between them reach every option
value; `tests/test_golden.py` renders them again and names each file added, removed
or changed. A deliberate change of output rewrites the manifests in its own commit:

    python -m tests.golden          # rewrite tests/data/golden/*.json from the working tree
    python -m tests.golden --diff   # show the changed files' diffs against a render of HEAD

Only the answers file's `_src_path` and `_commit` lines are left out: they name where
and from which commit the project was rendered, not what was rendered.
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from tests.combos import TEMPLATE_ROOT, Combo, load
from tests.helpers import copy_template, project_files, render

DATA = Path(__file__).parent / "data" / "golden"
# name → answers; together they reach every value of every axis offered today.
GOLDEN: dict[str, dict[str, Any]] = {
    "default": {},
    "grpc-airflow": {"serving": "grpc", "orchestrator": "airflow", "python_version": "3.12"},
    "batch-kubeflow": {"serving": "batch", "orchestrator": "kubeflow", "streaming": True},
    "regression-jenkins": {"task": "regression", "ci_provider": "jenkins"},
    "regression-lightgbm-gitlab": {
        "task": "regression",
        "model_framework": "lightgbm",
        "ci_provider": "gitlab",
        "python_version": "3.13",
    },
    "bentoml-prefect": {
        "serving": "bentoml",
        "orchestrator": "prefect",
        "model_framework": "xgboost",
    },
    "flask-streaming-dagster": {"serving": "flask", "streaming": True, "orchestrator": "dagster"},
    "onnx-xgboost-prefect": {
        "edge_runtime": "onnx",
        "model_framework": "xgboost",
        "orchestrator": "prefect",
    },
    "aws-ecs-grpc": {"serving": "grpc", "cloud": "aws", "aws_target": "ecs"},
    "aws-sagemaker-flask-gitlab": {
        "serving": "flask",
        "cloud": "aws",
        "aws_target": "sagemaker",
        "ci_provider": "gitlab",
    },
    "aws-eks-streaming-jenkins": {
        "streaming": True,
        "cloud": "aws",
        "aws_target": "eks",
        "ci_provider": "jenkins",
    },
    "aws-schedule-batch": {"serving": "batch", "cloud": "aws", "aws_target": "schedule"},
}
VARIABLE_ANSWERS = ("_src_path:", "_commit:")


def combo(name: str) -> Combo:
    found = load().evaluate(GOLDEN[name])
    assert found.valid, f"golden render {name} is refused: {found.error}"
    return found


def content(path: Path) -> bytes:
    """A file's bytes, the answers file without where and from which commit it came."""
    data = path.read_bytes()
    if path.name != ".copier-answers.yml":
        return data
    lines = data.decode().splitlines(keepends=True)
    return "".join(line for line in lines if not line.startswith(VARIABLE_ANSWERS)).encode()


def manifest(project: Path) -> dict[str, str]:
    """Relative path → sha256 of every file a user gets (no .git, no caches)."""
    return {
        path.relative_to(project).as_posix(): hashlib.sha256(content(path)).hexdigest()
        for path in project_files(project)
    }


def expected(name: str) -> dict[str, str]:
    stored: dict[str, str] = json.loads((DATA / f"{name}.json").read_text())
    return stored


def differences(name: str, project: Path) -> list[str]:
    """Each file added, removed or changed against the stored manifest, one line each."""
    want, got = expected(name), manifest(project)
    return [
        *(f"added    {p}" for p in sorted(got.keys() - want.keys())),
        *(f"removed  {p}" for p in sorted(want.keys() - got.keys())),
        *(f"changed  {p}" for p in sorted(want.keys() & got.keys()) if want[p] != got[p]),
    ]


def _render_all(template: Path, root: Path) -> dict[str, Path]:
    return {name: render(template, combo(name), root / name) for name in GOLDEN}


def _write(projects: dict[str, Path]) -> None:
    DATA.mkdir(parents=True, exist_ok=True)
    for name, project in projects.items():
        text = json.dumps(manifest(project), indent=1, sort_keys=True) + "\n"
        (DATA / f"{name}.json").write_text(text)
        print(f"{name}: {len(manifest(project))} files")


def _diff(projects: dict[str, Path], root: Path) -> None:
    """Unified diffs of the changed files against a render of the last commit."""
    head = root / "head-template"
    subprocess.run(
        ["git", "worktree", "add", "--detach", "--quiet", str(head), "HEAD"],
        cwd=TEMPLATE_ROOT,
        check=True,
    )
    try:
        plain = copy_template(root / "head-plain", load(head))
        for name, project in projects.items():
            before = render(plain, combo(name), root / "head" / name)
            for line in differences(name, project):
                kind, rel = line.split(maxsplit=1)
                old = (before / rel).read_text().splitlines() if kind != "added" else []
                new = (project / rel).read_text().splitlines() if kind != "removed" else []
                sys.stdout.writelines(
                    f"{text}\n"
                    for text in difflib.unified_diff(
                        old, new, f"HEAD/{name}/{rel}", f"tree/{name}/{rel}", lineterm=""
                    )
                )
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(head)], cwd=TEMPLATE_ROOT)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--diff", action="store_true", help="diff against a render of HEAD")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        template = copy_template(root / "template")
        projects = _render_all(template, root / "tree")
        if arguments.diff:
            _diff(projects, root)
        else:
            _write(projects)


if __name__ == "__main__":
    main()
