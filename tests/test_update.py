"""`copier update` from one tagged template version to the next, as users will run it.

The template is copied into a fresh git repository and tagged, because update needs PEP 440
tags on the template and a clean git project (and so cannot use the plain copy).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import copier
import pytest
import yaml

from tests.combos import Template
from tests.helpers import copy_template, project_files

pytestmark = pytest.mark.update

USER_LINE = "Notes the team added after generation."
TEMPLATE_LINE = "# Added by template 0.2.0."


def git(cwd: Path, *args: str) -> str:
    """git with a fixed identity and no signing, whatever the machine's config says."""
    identity = ["-c", "user.name=Template Tests", "-c", "user.email=tests@example.com"]
    unsigned = ["-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false"]
    argv = ["git", *identity, *unsigned, *args]
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=True).stdout


def commit(repo: Path, message: str, tag: str | None = None) -> None:
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--message", message)
    if tag:
        git(repo, "tag", tag)


@dataclass
class Setup:
    template: Path  # git repository, tags 0.1.0 and 0.2.0
    project: Path  # generated from 0.1.0, committed
    answers_file: Path


def _append(path: Path, line: str) -> None:
    path.write_text(path.read_text().rstrip("\n") + f"\n{line}\n")


@pytest.fixture
def setup(template: Template, tmp_path: Path) -> Setup:
    """A project generated from template 0.1.0 and committed; then template 0.2.0 tagged."""
    source = copy_template(tmp_path / "template", template)
    git(source, "init", "--quiet", "--initial-branch=main")
    commit(source, "template 0.1.0", tag="0.1.0")
    project = tmp_path / "project"
    copier.run_copy(str(source), str(project), defaults=True, unsafe=True, quiet=True)
    answers_file = project / template.config.get("answers_file", ".copier-answers.yml")
    assert yaml.safe_load(answers_file.read_text())["_commit"] == "0.1.0"
    commit(project, "generated")

    files = source / template.config.get("subdirectory", ".")
    _append(files / "Makefile.jinja", TEMPLATE_LINE)  # a file the user does not touch
    _append(files / "pyproject.toml.jinja", TEMPLATE_LINE)  # a file the user edits elsewhere
    commit(source, "template 0.2.0", tag="0.2.0")
    return Setup(source, project, answers_file)


def test_update_keeps_user_edits_and_brings_template_changes(setup: Setup) -> None:
    """The 3-way merge keeps the user's edits, applies the template's, and records 0.2.0."""
    project = setup.project
    readme, pyproject = project / "README.md", project / "pyproject.toml"
    assert readme.exists(), "the template renders no README.md"
    _append(readme, USER_LINE)
    assert 'version = "0.1.0"' in pyproject.read_text()
    pyproject.write_text(pyproject.read_text().replace('version = "0.1.0"', 'version = "0.3.1"'))
    commit(project, "user edits")

    copier.run_update(
        str(project), defaults=True, overwrite=True, unsafe=True, conflict="inline", quiet=True
    )

    assert USER_LINE in readme.read_text()
    assert 'version = "0.3.1"' in pyproject.read_text()
    assert TEMPLATE_LINE in pyproject.read_text()
    assert TEMPLATE_LINE in (project / "Makefile").read_text()
    assert yaml.safe_load(setup.answers_file.read_text())["_commit"] == "0.2.0"
    conflicted = [p for p in project_files(project) if "<<<<<<<" in p.read_text(errors="ignore")]
    assert not conflicted, f"conflict markers in {conflicted}"


def test_update_of_a_dirty_project_is_refused_and_loses_nothing(setup: Setup) -> None:
    """With uncommitted changes, update stops before touching any file."""
    project = setup.project
    _append(project / "pyproject.toml", "# uncommitted")
    before = {p: p.read_bytes() for p in project_files(project)}
    status = git(project, "status", "--porcelain")

    with pytest.raises(Exception, match="dirty"):
        copier.run_update(str(project), defaults=True, overwrite=True, unsafe=True, quiet=True)

    assert {p: p.read_bytes() for p in project_files(project)} == before
    assert git(project, "status", "--porcelain") == status
    assert yaml.safe_load(setup.answers_file.read_text())["_commit"] == "0.1.0"
