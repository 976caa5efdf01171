"""Every CI provider runs the same checks as GitHub Actions: same jobs, same order, same commands.

Each provider file is written by hand in its own dialect, so they drift silently: a
`make` target added to one workflow only. For one combination of the pairwise tier per
set of values of the questions the CI files branch on (their `{% if %}` and `{% for %}`
tests: two combinations that agree on those render the same jobs),
the project is rendered with each provider and each file is reduced to what a job does
(the `make` targets, `.venv/bin` tools and uv commands it runs, the jobs it waits for, the
Dockerfile targets it builds); those must equal GitHub's. Provider plumbing (checkout, caches,
uv setup and `uv cache`, registry login, test reports) is not compared. A Jenkins job is a
stage that runs steps; it waits for the stages of the top-level stage before its own
(tests/jenkinsfile.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from jinja2 import Environment, nodes

from tests import jenkinsfile
from tests.combos import Combo, Template, load
from tests.helpers import Renders
from tests.options import declarations

GITLAB_KEYWORDS = {"stages", "workflow", "variables", "default", "include", "image", "cache"}
# A whole line that runs a project tool or a uv command (`uv lock --check`); `uv cache` is plumbing.
COMMAND = re.compile(r"^(\.venv/bin/.+|uv (?!cache\b)\S.*)$")
# A make target, run as the line or inside `$( )` (`make -s image-args` feeding --build-arg).
MAKE = re.compile(r"(?:^|\$\()make (?:-s )?([a-z][\w-]*)")
DOCKER_TARGET = re.compile(r"--target (\S+)")


@dataclass(frozen=True)
class Job:
    """What a CI job does, in terms all providers share."""

    needs: tuple[str, ...]
    commands: tuple[str, ...]
    images: tuple[str, ...]  # Dockerfile targets built ("" = the default, last stage)


def _lines(script: Any) -> list[str]:
    items = script if isinstance(script, list) else [script] if script else []
    return [line.strip() for item in items for line in str(item).splitlines() if line.strip()]


def _commands(lines: list[str]) -> tuple[str, ...]:
    found = []
    for line in lines:
        if COMMAND.match(line):
            found.append(line)
        found += [f"make {target}" for target in MAKE.findall(line)]
    return tuple(found)


def _needs(value: Any) -> tuple[str, ...]:
    return tuple(sorted([value] if isinstance(value, str) else value or []))


def github_jobs(ci_file: Path) -> dict[str, Job]:
    workflow = yaml.safe_load(ci_file.read_text())
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


def gitlab_jobs(ci_file: Path) -> dict[str, Job]:
    pipeline = yaml.safe_load(ci_file.read_text())
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


def jenkins_jobs(ci_file: Path) -> dict[str, Job]:
    stages = jenkinsfile.stages(ci_file.read_text())
    jobs = {}
    for stage in stages:
        needs = [other.name for other in stages if other.group == stage.group - 1]
        images = [
            match.group(1) if (match := DOCKER_TARGET.search(line)) else ""
            for line in stage.lines
            if line.startswith("docker build")
        ]
        jobs[stage.name] = Job(_needs(needs), _commands(list(stage.lines)), tuple(images))
    return jobs


# Each value of the ci_provider question needs its reader here; each reads the file its
# option.yml names (`ci_file`).
READERS: dict[str, Callable[[Path], dict[str, Job]]] = {
    "github": github_jobs,
    "gitlab": gitlab_jobs,
    "jenkins": jenkins_jobs,
}
REFERENCE = "github"
OTHERS = [provider for provider in READERS if provider != REFERENCE]


def _with_provider(combo: Combo, provider: str) -> Combo:
    flipped = load().evaluate({**combo.data_dict, "ci_provider": provider})
    assert flipped.valid, flipped.error
    return flipped


CI_FILES = {o.value: o.facts.get("ci_file") for o in declarations() if o.axis == "ci_provider"}


def branched_on(source: str) -> set[str]:
    """The names a Jinja template's `{% if %}`, `{% for %}` and inline `if` tests read."""
    found: set[str] = set()
    for node in Environment().parse(source).find_all((nodes.If, nodes.CondExpr, nodes.For)):
        tested = [node.iter, node.test] if isinstance(node, nodes.For) else [node.test]
        for expression in filter(None, tested):
            names = [expression, *expression.find_all(nodes.Name)]  # find_all skips itself
            found |= {name.name for name in names if isinstance(name, nodes.Name)}
    return found


def _one_per_branch(template: Template) -> list[Combo]:
    """The first pairwise combination for each set of values of the axes the CI files
    branch on."""
    sources = [(template.root / "templates" / f"{f}.jinja").read_text() for f in CI_FILES.values()]
    axes = sorted(set().union(*map(branched_on, sources)) & set(template.dimensions))
    chosen: dict[tuple[object, ...], Combo] = {}
    for combo in template.pairwise:
        chosen.setdefault(tuple(combo.data_dict.get(axis) for axis in axes), combo)
    return list(chosen.values())


COMPARED = _one_per_branch(load())


def _jobs(provider: str, project: Path) -> dict[str, Job]:
    return READERS[provider](project / CI_FILES[provider])


def test_every_provider_has_a_reader() -> None:
    """A provider added to the question without a reader here would be compared with nothing."""
    assert sorted(READERS) == sorted(load().dimensions["ci_provider"])
    assert all(CI_FILES.values()), f"an option.yml of ci_provider has no `ci_file`: {CI_FILES}"


@pytest.mark.parametrize("provider", OTHERS)
@pytest.mark.parametrize("answers", COMPARED, ids=[c.id for c in COMPARED])
def test_providers_run_the_same_jobs_as_github(
    answers: Combo, provider: str, renders: Renders
) -> None:
    reference = _jobs(REFERENCE, renders.get(_with_provider(answers, REFERENCE)))
    other = _jobs(provider, renders.get(_with_provider(answers, provider)))
    for name, jobs in ((REFERENCE, reference), (provider, other)):
        # The readers must see the files: no job, or no `make` target, means they no longer do.
        assert jobs, f"{name}: no job found"
        targets = [c for job in jobs.values() for c in job.commands if c.startswith("make ")]
        assert "make test" in targets, f"{name}: no `make test` found among {targets}"
        assert any(job.images for job in jobs.values()), f"{name}: no image build found"
    assert list(other) == list(reference), f"the jobs differ (names or order): {list(other)}"
    for name, job in reference.items():
        assert other[name] == job, f"job {name}: {REFERENCE} {job} vs {provider} {other[name]}"


def test_branches_are_read_from_every_kind_of_test() -> None:
    source = (
        "{% if cloud == 'aws' %}{{ python_version }}{% endif %}"
        "{% for job in jobs if job != skipped %}{{ job }}{% endfor %}"
        "{{ 'x' if orchestrator != 'none' }}"
    )
    assert branched_on(source) == {"cloud", "jobs", "job", "skipped", "orchestrator"}


def test_commands_are_read_in_subshells_and_uv_plumbing_is_left_out() -> None:
    lines = [
        "uv lock --check",
        "uv cache prune --ci",
        "BUILD_ARGS=$(make -s image-args | sed 's/^/--build-arg /')",
        "make test",
        'echo "make install needs uv"',
        ".venv/bin/ruff check .",
    ]
    assert _commands(lines) == (
        "uv lock --check",
        "make image-args",
        "make test",
        ".venv/bin/ruff check .",
    )


MINIMAL_JENKINSFILE = """
pipeline {
    agent none
    stages {
        stage('checks') {
            parallel {
                stage('test') {
                    agent { docker { image 'python:3.12' } }
                    steps {
                        sh 'make test'  // a comment with a { brace
                        sh(script: "make lint", label: "lint")
                        sh '''
                            docker build --target pipeline .
                        '''
                    }
                }
            }
        }
        stage('train') {
            agent any
            steps {
                script {
                    if (env.TAG_NAME) {
                        sh 'make all'
                    }
                }
            }
        }
    }
}
"""


def test_jenkins_reader_reads_every_sh_form() -> None:
    jobs = {s.name: s for s in jenkinsfile.stages(MINIMAL_JENKINSFILE)}
    assert list(jobs) == ["test", "train"]
    assert jobs["test"].lines == ("make test", "make lint", "docker build --target pipeline .")
    assert (jobs["test"].group, jobs["train"].group) == (0, 1)
    assert jobs["train"].lines == ("make all",)


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("steps {\n                        sh 'make test'", "step {\n sh 'make test'",
         "unknown section 'step'"),
        ("'make test'", "'make test", "unterminated string"),
        ("stage('train') {", "stage('train') {{", "is never closed"),
        ("agent any", "", "runs steps without an agent"),
        ("stage('train')", "stage('test')", "stage names used twice"),
        ("stage('train')", "stage()", "`stage('name') { }` expected"),
        ("stages {", "stage {", "one `stages { }` expected"),
        ("    agent none\n", "", "pipeline: no `agent`"),
        ("steps {\n                        sh 'make test'", "parallel {\n sh 'make test'",
         "`stage('name') { }` expected"),
    ],
)  # fmt: skip
def test_jenkinsfile_checker_finds_broken_pipelines(old: str, new: str, problem: str) -> None:
    assert jenkinsfile.problems(MINIMAL_JENKINSFILE) == []
    assert old in MINIMAL_JENKINSFILE
    found = jenkinsfile.problems(MINIMAL_JENKINSFILE.replace(old, new, 1))
    assert any(problem in p for p in found), found


@pytest.mark.parametrize(
    "step", ["sh script", "sh(returnStdout: true, script: 'make test')", "bat 'make test'"]
)
def test_jenkins_reader_refuses_scripts_it_cannot_read(step: str) -> None:
    """A command the reader cannot see as text must fail the parity test, not vanish from it."""
    with pytest.raises(jenkinsfile.JenkinsfileError):
        jenkinsfile.stages(MINIMAL_JENKINSFILE.replace("sh 'make all'", step))
