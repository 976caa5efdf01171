"""`copier update` from one tagged template version to the next, as users will run it.

The template is copied into a fresh git repository and tagged, because update needs PEP 440
tags on the template and a clean git project (and so cannot use the plain copy). The update
report (hooks/update_report.py, a `_migrations` entry) is checked through the `copier` CLI,
whose output is what users read.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import copier
import pytest
import yaml

from tests.combos import TEMPLATE_ROOT, Template
from tests.helpers import copy_template, project_files, tool
from tests.options import declarations

pytestmark = pytest.mark.update

USER_LINE = "Notes the team added after generation."
TEMPLATE_LINE = "# Added by template 0.2.0."
REPORT_HOOK = "hooks/update_report.py"
REPORT_TITLE = "Update report"
# The case: generated with FastAPI, the user edits its api.py, then switches to Flask.
SERVING_FROM, SERVING_TO = "fastapi", "flask"


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


def copier_update(project: Path, *args: str) -> str:
    """`copier update` as a user types it in the project; what it printed, in order."""
    copier_cli = tool("copier")
    assert copier_cli, "the copier command is not installed"
    argv = [copier_cli, "update", "--trust", "--defaults", *args]
    result = subprocess.run(
        argv, cwd=project, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout
    return result.stdout


def report_of(output: str) -> list[str]:
    """The lines the update report printed: everything after Copier ran the report hook."""
    lines = output.splitlines()
    ran = [i for i, line in enumerate(lines) if REPORT_HOOK in line and "Running task" in line]
    assert ran, f"copier did not run {REPORT_HOOK}:\n{output}"
    return [line for line in lines[ran[-1] + 1 :] if line.strip()]


def section(report: list[str], title: str) -> list[str]:
    """The indented lines under the report heading that starts with `title`."""
    starts = [i for i, line in enumerate(report) if line.strip().startswith(title)]
    assert starts, f"no {title!r} in the report:\n" + "\n".join(report)
    body = []
    for line in report[starts[0] + 1 :]:
        if len(line) - len(line.lstrip()) <= 2:  # the next heading
            break
        body.append(line.strip())
    return body


@pytest.fixture
def setup(template: Template, tmp_path: Path) -> Setup:
    """A project generated from template 0.1.0 and committed; then template 0.2.0 tagged."""
    source = copy_template(tmp_path / "template", template)
    git(source, "init", "--quiet", "--initial-branch=main")
    commit(source, "template 0.1.0", tag="0.1.0")
    project = tmp_path / "project"
    data = {"serving": SERVING_FROM}
    copier.run_copy(str(source), str(project), data=data, defaults=True, unsafe=True, quiet=True)
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


def test_update_report_is_wired_as_a_migration(template: Template) -> None:
    """Copier runs the report after every update: a `_migrations` entry with no `version`."""
    migrations = template.config.get("migrations", [])
    wired = [m for m in migrations if REPORT_HOOK in str(m.get("command"))]
    assert wired, f"copier.yml has no _migrations entry running {REPORT_HOOK}"
    assert "version" not in wired[0], "a `version` would run it only when crossing that version"
    assert (template.root / REPORT_HOOK).is_file()


def test_switching_an_answer_reports_removed_files_and_how_to_recover_them(setup: Setup) -> None:
    """serving fastapi -> flask removes the user's edited api.py: the output says so and how to
    get it back, names every other removed file, the changed answer and the dependencies."""
    project = setup.project
    package = yaml.safe_load(setup.answers_file.read_text())["package_name"]
    fastapi, flask = (o for v in (SERVING_FROM, SERVING_TO) for o in declarations()
                      if (o.axis, o.value) == ("serving", v))  # fmt: skip
    api = project / "src" / package / "serving" / "api.py"
    assert any(api.relative_to(project).match(p) for p in fastapi.owns), "fastapi owns api.py"
    assert api.exists(), f"{SERVING_FROM} renders no {api.relative_to(project)}"
    _append(api, "# The team's own route, added after generation.")
    _append(project / "README.md", USER_LINE)
    edited_api = api.read_text()
    # The lock is the user's (make install writes it): an update never writes it.
    lock = project / "uv.lock"
    lock.write_text("# the team's lock, as `make install` left it\n")
    commit(project, "user edits")

    report = report_of(copier_update(project, "--data", f"serving={SERVING_TO}"))

    rel = api.relative_to(project).as_posix()
    deleted = git(project, "diff", "HEAD", "--diff-filter=D", "--name-only").split()
    assert rel in deleted
    removed = section(report, "Removed")
    assert {line.split()[0] for line in removed} == set(deleted), removed
    edited = [line.split()[0] for line in removed if "had your changes" in line]
    assert edited == [rel], "only the file the user edited is marked as edited"
    assert section(report, "Answers changed") == [f"serving: {SERVING_FROM} -> {SERVING_TO}"]
    changed = dict(line.split(": ", 1) for line in section(report, "Dependencies changed"))
    removed_names = set(fastapi.dependency_names) - set(flask.dependency_names)
    added_names = set(flask.dependency_names) - set(fastapi.dependency_names)
    assert removed_names, "fastapi and flask bring the same dependencies"
    assert all(name in changed["dependencies removed"] for name in removed_names), changed
    assert all(name in changed["dependencies added"] for name in added_names), changed
    assert any("make lock" in line and "make install" in line for line in report), report
    assert lock.read_text() == "# the team's lock, as `make install` left it\n"
    assert "uv.lock" not in git(project, "status", "--porcelain"), "the update touched uv.lock"
    assert USER_LINE in (project / "README.md").read_text()
    assert not any(line.strip().startswith("Conflicts") for line in report)

    recover = section(report, "Recover")
    assert recover == [f"git restore --source=HEAD -- {rel}"]
    subprocess.run(shlex.split(recover[0]), cwd=project, check=True)
    assert api.read_text() == edited_api


def test_update_without_notable_changes_prints_no_report(setup: Setup) -> None:
    """Same answers, user edits merged, no dependency change: the report stays silent."""
    readme = setup.project / "README.md"
    _append(readme, USER_LINE)
    commit(setup.project, "user edits")

    report = report_of(copier_update(setup.project))

    assert report == []
    assert USER_LINE in readme.read_text()
    assert yaml.safe_load(setup.answers_file.read_text())["_commit"] == "0.2.0"


FRAME_BASED = '''

def derive_features(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """A user's own feature, written against the frame the template passed before."""
    return {"doubled": frame["FIELD"].to_numpy(dtype=float) * 2.0}
'''


def test_update_report_names_a_frame_based_derive_features(setup: Setup) -> None:
    """derive_features gets numpy columns now: a user's frame-based one (kept by the merge,
    it is their code) would fail at the first prediction, so the report names it and the
    fix, and leaves the file as the user wrote it."""
    (schemas,) = setup.project.glob("src/*/core/schemas.py")
    text = schemas.read_text()
    field = re.search(r"^    (\w+): ", text[text.index("class FeatureRecord") :], re.M)
    assert field, "no field in FeatureRecord"
    start = text.index("def derive_features")
    end = text.index("\ndef ", start + 1)
    edited = text[:start].rstrip("\n") + FRAME_BASED.replace("FIELD", field.group(1)) + text[end:]
    schemas.write_text(edited)
    commit(setup.project, "user edits")

    report = report_of(copier_update(setup.project))

    (line,) = section(report, "Code to change")
    assert line.startswith(f"{schemas.relative_to(setup.project).as_posix()}:"), line
    assert "columns[" in line and "to_numpy" in line
    assert schemas.read_text() == edited


@pytest.mark.parametrize("conflict", ["inline", "rej"])
def test_update_report_names_conflicted_files(setup: Setup, conflict: str) -> None:
    """The user and template 0.2.0 both append to the Makefile: the report names it."""
    _append(setup.project / "Makefile", "# The team's own target notes.")
    commit(setup.project, "user edits")

    report = report_of(copier_update(setup.project, "--conflict", conflict))

    conflicts = section(report, "Conflicts")
    assert [line.split()[0] for line in conflicts] == ["Makefile"], report
    assert ("Makefile.rej" in conflicts[0]) == (conflict == "rej")
    assert report[0].startswith(REPORT_TITLE)


def _hook(
    cwd: Path, operation: str = "update", path: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the report as Copier runs it: its Python, in the project, with Copier's variables."""
    env = {**os.environ, "COPIER_OPERATION": operation, "VERSION_FROM": "1.0", "VERSION_TO": "1.1"}
    if path is not None:
        env["PATH"] = path
    argv = [sys.executable, str(TEMPLATE_ROOT / REPORT_HOOK), ".copier-answers.yml"]
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)


@pytest.fixture
def small_project(tmp_path: Path) -> Path:
    """A committed project of two files, then one of them deleted as an update would."""
    project = tmp_path / "small"
    project.mkdir()
    git(project, "init", "--quiet", "--initial-branch=main")
    (project / ".copier-answers.yml").write_text("_commit: '1.0'\nserving: fastapi\n")
    (project / "api.py").write_text("app = None\n")
    commit(project, "generated")
    (project / "api.py").unlink()
    return project


def test_report_reads_and_never_writes(small_project: Path) -> None:
    """The report names the deleted file and leaves files, index and git state as they were."""
    before = {p: p.read_bytes() for p in small_project.rglob("*") if p.is_file()}

    result = _hook(small_project)

    assert result.returncode == 0, result.stderr
    assert "    api.py" in result.stderr.splitlines(), result.stderr
    assert {p: p.read_bytes() for p in small_project.rglob("*") if p.is_file()} == before


def test_report_is_silent_outside_update(small_project: Path) -> None:
    """Copier never runs migrations on copy; should it ever, the report says nothing."""
    assert "api.py" in _hook(small_project).stderr  # what an update would print
    result = _hook(small_project, operation="copy")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_report_never_fails_the_update(small_project: Path) -> None:
    """No git, or a broken answers file: one line saying why, and exit status 0."""
    no_git = _hook(small_project, path=str(small_project / "no-such-bin"))
    assert (no_git.returncode, no_git.stderr.strip()) == (
        0,
        "Update report skipped: git not found.",
    )

    (small_project / ".copier-answers.yml").write_text("serving: [unclosed\n")
    commit(small_project, "a broken answers file")
    broken = _hook(small_project)
    assert broken.returncode == 0
    assert broken.stderr.startswith("Update report skipped:"), broken.stderr
