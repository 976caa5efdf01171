"""GitHub Actions and GitLab CI run the same checks: same jobs, same order, same commands.

Each provider file is written by hand in its own dialect, so they drift silently: a
`make` target added to one workflow only. For every combination of the pairwise tier,
the project is rendered with each provider and the two files are reduced to what a
job does (the `make` targets and `.venv/bin` tools it runs, the jobs it waits for, the
Dockerfile targets it builds); those must be equal. Provider plumbing (checkout,
caches, uv setup, registry login) is not compared.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.combos import Combo, load
from tests.helpers import Renders

PROVIDERS = ("github", "gitlab")
GITLAB_KEYWORDS = {"stages", "workflow", "variables", "default", "include", "image", "cache"}
COMMAND = re.compile(r"^(make \S+|\.venv/bin/.+)$")
DOCKER_TARGET = re.compile(r"--target (\S+)")


@dataclass(frozen=True)
class Job:
    """What a CI job does, in terms both providers share."""

    needs: tuple[str, ...]
    commands: tuple[str, ...]
    images: tuple[str, ...]  # Dockerfile targets built ("" = the default, last stage)


def _lines(script: Any) -> list[str]:
    items = script if isinstance(script, list) else [script] if script else []
    return [line.strip() for item in items for line in str(item).splitlines() if line.strip()]


def _commands(lines: list[str]) -> tuple[str, ...]:
    return tuple(line for line in lines if COMMAND.match(line))


def _needs(value: Any) -> tuple[str, ...]:
    return tuple(sorted([value] if isinstance(value, str) else value or []))


def github_jobs(project: Path) -> dict[str, Job]:
    workflow = yaml.safe_load((project / ".github" / "workflows" / "ci.yml").read_text())
    jobs = {}
    for name, job in workflow["jobs"].items():
        steps = job.get("steps", [])
        runs = [line for step in steps for line in _lines(step.get("run"))]
        images = [
            str(step.get("with", {}).get("target", ""))
            for step in steps
            if str(step.get("uses", "")).startswith("docker/build-push-action")
        ]
        jobs[name] = Job(_needs(job.get("needs")), _commands(runs), tuple(images))
    return jobs


def gitlab_jobs(project: Path) -> dict[str, Job]:
    pipeline = yaml.safe_load((project / ".gitlab-ci.yml").read_text())
    jobs = {}
    for name, job in pipeline.items():
        if name.startswith(".") or name in GITLAB_KEYWORDS:
            continue
        merged = {**pipeline.get(job.get("extends", ""), {}), **job}
        lines = _lines(merged.get("before_script")) + _lines(merged.get("script"))
        images = [
            match.group(1) if (match := DOCKER_TARGET.search(line)) else ""
            for line in lines
            if line.startswith("docker build")
        ]
        jobs[name] = Job(_needs(merged.get("needs")), _commands(lines), tuple(images))
    return jobs


def _with_provider(combo: Combo, provider: str) -> Combo:
    flipped = load().evaluate({**combo.data_dict, "ci_provider": provider})
    assert flipped.valid, flipped.error
    return flipped


PAIRWISE = load().pairwise


@pytest.mark.parametrize("answers", PAIRWISE, ids=[c.id for c in PAIRWISE])
def test_github_and_gitlab_run_the_same_jobs(answers: Combo, renders: Renders) -> None:
    github = github_jobs(renders.get(_with_provider(answers, "github")))
    gitlab = gitlab_jobs(renders.get(_with_provider(answers, "gitlab")))
    assert list(github) == list(gitlab), "the jobs differ (names or order)"
    assert github["test"].commands, "no test command found: the parser no longer sees the files"
    for name, job in github.items():
        assert job == gitlab[name], f"job {name}: GitHub {job} vs GitLab {gitlab[name]}"
