"""Everything a generated project installs comes from its uv.lock: in CI, in the image, and
when the update bot moves a version.

Each test takes one rendered project of the `--static-combos` tier (the renders test_static.py
uses, so nothing is rendered twice). CI checks `uv lock --check` before `make install` in
every job that installs, never installs with pip, and runs the uv that pyproject.toml's
`required-version` admits. The update bot's file is the one the chosen CI option declares
(`update_bot` in options/ci_provider/<value>/option.yml), valid for its schema, and keeps
uv.lock, the Dockerfile's images and the CI file's up to date weekly, minor and patch updates
grouped. The Dockerfile installs only with `uv sync --locked` (or `--frozen`), checks the
LOCK_SHA256 it is given against the uv.lock it copies, and labels both images with
PROJECT_VERSION and LOCK_SHA256.
"""

from __future__ import annotations

import fnmatch
import json
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from tests.combos import Combo
from tests.helpers import Renders, Validator, Verdicts, tool
from tests.options import Option, declarations
from tests.test_ci_parity import READERS

LOCK_CHECK = "uv lock --check"
INSTALL = "make install"
# `pip install`, `python -m pip install`, `uv pip install`: anything that bypasses the lock.
PIP_INSTALL = re.compile(r"\bpip3?\s+install\b")
UV_IMAGE = re.compile(r"ghcr\.io/astral-sh/uv:(\d+(?:\.\d+)*)\b")
WEEKDAY = re.compile(r"\bon (monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", re.I)
GROUPED = {"minor", "patch"}


@pytest.fixture
def project(combo: Combo, renders: Renders) -> Path:
    return renders.get(combo)


@pytest.fixture
def ci(combo: Combo) -> Option:
    """The chosen ci_provider option (its facts: `ci_file`, `update_bot`)."""
    chosen = [o for o in declarations() if o.axis == "ci_provider" and o.chosen(combo.answers_dict)]
    assert len(chosen) == 1, f"ci_provider options chosen: {chosen}"
    return chosen[0]


def _require(name: str) -> str:
    path = tool(name)
    if path is None:
        pytest.skip(f"`{name}` is not installed: `make test` installs the test group from uv.lock")
    return path


def _code_lines(path: Path) -> list[str]:
    """The file's lines without whole-line comments (YAML/shell `#`, Groovy `//`)."""
    lines = [line.strip() for line in path.read_text().splitlines()]
    return [line for line in lines if line and not line.startswith(("#", "//"))]


# ── CI ───────────────────────────────────────────────────────────────────────────────────


def test_ci_checks_the_lock_before_it_installs(project: Path, ci: Option) -> None:
    """Every job that runs `make install` first runs `uv lock --check`: a missing or stale
    uv.lock fails under its own name instead of inside the install."""
    jobs = READERS[ci.value](project / ci.facts["ci_file"])
    installing = {name: job.commands for name, job in jobs.items() if INSTALL in job.commands}
    assert installing, f"no job of {ci.facts['ci_file']} runs `{INSTALL}`"
    wrong = [f"{name}: {list(c)}" for name, c in installing.items() if c[0] != LOCK_CHECK]
    assert not wrong, f"jobs whose first command is not `{LOCK_CHECK}`:\n" + "\n".join(wrong)


def test_ci_installs_nothing_with_pip(project: Path, ci: Option) -> None:
    """Packages reach CI through `make install` (uv sync --locked) only."""
    path = project / ci.facts["ci_file"]
    found = [line for line in _code_lines(path) if PIP_INSTALL.search(line)]
    assert not found, f"{ci.facts['ci_file']} installs with pip:\n" + "\n".join(found)


def _setup_uv_steps(path: Path) -> list[dict[str, Any]]:
    """The astral-sh/setup-uv steps of a GitHub workflow (none in other CI files)."""
    if path.suffix not in (".yml", ".yaml"):
        return []
    workflow = yaml.safe_load(path.read_text()) or {}
    jobs = workflow.get("jobs") if isinstance(workflow.get("jobs"), dict) else {}
    steps = [step for job in jobs.values() for step in job.get("steps", [])]
    return [step for step in steps if str(step.get("uses", "")).startswith("astral-sh/setup-uv")]


def test_ci_runs_the_uv_pyproject_requires(project: Path, ci: Option) -> None:
    """CI's uv is the one `[tool.uv] required-version` admits: setup-uv reads it from
    pyproject.toml, and every uv image named (CI and Dockerfile) satisfies it."""
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    required = pyproject.get("tool", {}).get("uv", {}).get("required-version")
    assert required, "pyproject.toml has no [tool.uv] required-version"
    spec = SpecifierSet(required)
    ci_file = project / ci.facts["ci_file"]
    steps = _setup_uv_steps(ci_file)
    inputs = [step.get("with") or {} for step in steps]
    pinned = [
        given
        for given in inputs
        if "version" in given or given.get("version-file", "pyproject.toml") != "pyproject.toml"
    ]
    assert not pinned, f"setup-uv not reading pyproject.toml's required-version: {pinned}"
    images = {
        path: UV_IMAGE.findall(path.read_text())
        for path in (ci_file, project / "Dockerfile")
        if path.exists()
    }
    assert steps or images[ci_file], (
        f"{ci.facts['ci_file']} gets uv neither from setup-uv nor from a versioned uv image"
    )
    outside = [
        f"{path.name}: uv {tag}"
        for path, tags in images.items()
        for tag in tags
        if Version(tag) not in spec
    ]
    assert not outside, f"uv images outside required-version {required}: {outside}"


# ── The update bot ───────────────────────────────────────────────────────────────────────


def _bot(ci: Option) -> dict[str, str]:
    bot = ci.facts.get("update_bot")
    assert isinstance(bot, dict) and {"title", "file", "schema"} <= bot.keys(), (
        f"ci_provider={ci.value}: `update_bot` must name title, file and schema: {bot}"
    )
    return bot


def test_update_bot_is_the_declared_one(project: Path, ci: Option) -> None:
    """The chosen CI option's bot configuration exists; the other providers' bots' do not."""
    bot = _bot(ci)
    assert (project / bot["file"]).is_file(), f"{bot['title']}: {bot['file']} not rendered"
    others = {_bot(o)["file"] for o in declarations() if o.axis == "ci_provider"} - {bot["file"]}
    stray = sorted(f for f in others if (project / f).exists())
    assert not stray, f"another provider's bot configuration rendered: {stray}"


def test_update_bot_matches_its_schema(project: Path, ci: Option, verdicts: Verdicts) -> None:
    """check-jsonschema's vendored schema for the bot (`update_bot.schema`) accepts the file."""
    bot = _bot(ci)
    argv = (_require("check-jsonschema"), "--color", "never", "--builtin-schema", bot["schema"])

    def select(p: Path) -> list[Path]:
        return [p / bot["file"]] if (p / bot["file"]).is_file() else []

    results = verdicts.problems(
        Validator(f"check-jsonschema-{bot['schema']}", argv, select), project
    )
    assert results, f"{bot['file']} not found"
    failures = "\n".join(f"{file}: {message}" for file, message in results.items() if message)
    assert not failures, failures


def _dependabot_problems(config: dict[str, Any], ci_file: str) -> list[str]:
    """uv (pyproject.toml + uv.lock), docker (the Dockerfile) and github-actions (the
    workflows, ci_file among them), each weekly with its minor and patch updates grouped."""
    updates = {u.get("package-ecosystem"): u for u in config.get("updates", [])}
    problems = [
        f"no `{e}` ecosystem" for e in ("uv", "docker", "github-actions") if e not in updates
    ]
    if not ci_file.startswith(".github/workflows/"):
        problems.append(f"Dependabot cannot update {ci_file}")
    for name, update in updates.items():
        if update.get("schedule", {}).get("interval") != "weekly":
            problems.append(f"{name}: not weekly")
        types = [set(g.get("update-types", [])) for g in (update.get("groups") or {}).values()]
        if GROUPED not in types:
            problems.append(f"{name}: no group of exactly the minor and patch updates")
    return problems


def _re2_to_python(pattern: str) -> str:
    """Renovate's RE2 named groups `(?<name>…)` as Python's `(?P<name>…)`."""
    return re.sub(r"\(\?<(?=[A-Za-z_])", "(?P<", pattern)


def _matches_file(patterns: list[str], path: str) -> bool:
    """Renovate's managerFilePatterns: `/regex/` or a glob."""
    for pattern in patterns:
        if len(pattern) > 1 and pattern.startswith("/") and pattern.endswith("/"):
            if re.search(_re2_to_python(pattern[1:-1]), path):
                return True
        elif fnmatch.fnmatch(path, pattern):
            return True
    return False


# CI files a built-in Renovate manager reads; any other CI file needs a custom manager.
RENOVATE_CI_MANAGERS = {".gitlab-ci.yml": "gitlabci"}


def _renovate_problems(config: dict[str, Any], ci_file: str, ci_text: str) -> list[str]:
    """pep621 (pyproject.toml + uv.lock) with weekly lock-file maintenance, dockerfile, and a
    manager that finds the CI file's images; minor and patch updates of everything in one group."""
    enabled = set(config.get("enabledManagers") or [])
    problems = [f"manager `{m}` not enabled" for m in ("pep621", "dockerfile") if m not in enabled]
    maintenance = config.get("lockFileMaintenance") or {}
    if maintenance.get("enabled") is not True:
        problems.append("lockFileMaintenance is not enabled: uv.lock's other pins never move")
    schedule = maintenance.get("schedule") or config.get("schedule") or []
    if not schedule or not all(WEEKDAY.search(s) for s in schedule):
        problems.append(f"lock-file maintenance not weekly: {schedule}")
    if ci_file in RENOVATE_CI_MANAGERS:
        if RENOVATE_CI_MANAGERS[ci_file] not in enabled:
            problems.append(f"manager `{RENOVATE_CI_MANAGERS[ci_file]}` not enabled ({ci_file})")
    else:
        images = [
            match.groupdict()
            for manager in config.get("customManagers", [])
            if "custom.regex" in enabled
            and _matches_file(manager.get("managerFilePatterns", []), ci_file)
            for pattern in manager.get("matchStrings", [])
            for match in re.finditer(_re2_to_python(pattern), ci_text)
        ]
        if not any(image.get("depName") and image.get("currentValue") for image in images):
            problems.append(f"no custom manager finds an image in {ci_file}")
    # A group of every package: no `match…` key but the update types.
    grouped = [
        rule
        for rule in config.get("packageRules", [])
        if rule.get("groupName")
        and set(rule.get("matchUpdateTypes", [])) == GROUPED
        and not [key for key in rule if key.startswith("match") and key != "matchUpdateTypes"]
    ]
    if not grouped:
        problems.append("no package rule groups every minor and patch update")
    return problems


def test_update_bot_keeps_lock_images_and_ci_current(project: Path, ci: Option) -> None:
    """The bot updates what the project pins (pyproject.toml and uv.lock, the Dockerfile's
    images, the CI file's actions or images) weekly, minor and patch updates in one group."""
    bot = _bot(ci)
    text = (project / bot["file"]).read_text()
    ci_file = ci.facts["ci_file"]
    checks: dict[str, Callable[[], list[str]]] = {
        "vendor.dependabot": lambda: _dependabot_problems(yaml.safe_load(text), ci_file),
        "vendor.renovate": lambda: _renovate_problems(
            json.loads(text), ci_file, (project / ci_file).read_text()
        ),
    }
    assert bot["schema"] in checks, f"no check here for {bot['title']} ({bot['schema']})"
    problems = checks[bot["schema"]]()
    assert not problems, f"{bot['file']}:\n" + "\n".join(problems)


# ── The Dockerfile ───────────────────────────────────────────────────────────────────────

# A RUN that installs Python packages, by any installer.
PYTHON_INSTALL = re.compile(
    r"\b(pip3?\s+install|uv\s+pip|uv\s+sync|uv\s+add|poetry\s+install|pipenv\s+install|easy_install)\b"
)
UV_SYNC = re.compile(r"\buv\s+sync\b")
LOCKED = re.compile(r"\s--(locked|frozen)\b")
LABELLED = ("PROJECT_VERSION", "LOCK_SHA256")


@dataclass
class Stage:
    name: str
    base: str
    instructions: list[tuple[str, str]]  # (INSTRUCTION, arguments)


def _stages(text: str) -> list[Stage]:
    """The Dockerfile's stages: continuation lines joined, comments left out."""
    joined = re.sub(r"\\\n(\s*#[^\n]*\n)*", " ", text)
    stages: list[Stage] = []
    for raw in joined.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, args = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            words = args.split()
            name = words[-1] if len(words) >= 3 and words[-2].upper() == "AS" else str(len(stages))
            stages.append(Stage(name, words[0], []))
        elif stages:
            stages[-1].instructions.append((keyword, args.strip()))
    return stages


def _chain(stages: list[Stage], target: Stage) -> list[Stage]:
    """`target` and the stages it is built FROM, nearest first."""
    by_name = {stage.name: stage for stage in stages}
    chain = [target]
    while chain[-1].base in by_name and by_name[chain[-1].base] not in chain:
        chain.append(by_name[chain[-1].base])
    return chain


def _labels_carry(chain: list[Stage], arg: str) -> bool:
    """Some stage of the chain declares `ARG <arg>` and, after it, a LABEL using it."""
    use = re.compile(rf"\$(\{{{arg}\}}|{arg}\b)")
    for stage in chain:
        declared = False
        for keyword, args in stage.instructions:
            declared |= keyword == "ARG" and re.split(r"[=\s]", args)[0] == arg
            if declared and keyword == "LABEL" and use.search(args):
                return True
    return False


@pytest.fixture
def dockerfile(project: Path) -> list[Stage]:
    path = project / "Dockerfile"
    assert path.is_file(), "no Dockerfile rendered"
    return _stages(path.read_text())


def _runs(stages: list[Stage]) -> list[str]:
    return [args for stage in stages for keyword, args in stage.instructions if keyword == "RUN"]


def test_dockerfile_installs_only_from_the_lock(dockerfile: list[Stage]) -> None:
    """Every RUN that installs Python packages is `uv sync --locked` (or `--frozen`): no pip,
    no `uv pip`, no resolution at build time."""
    commands = [c.strip() for run in _runs(dockerfile) for c in re.split(r"&&|\|\||;|\|", run)]
    installs = [c for c in commands if PYTHON_INSTALL.search(c)]
    assert any(UV_SYNC.search(c) for c in installs), "no RUN installs with `uv sync`"
    wrong = [c for c in installs if not (UV_SYNC.search(c) and LOCKED.search(c))]
    assert not wrong, "installs not from uv.lock:\n" + "\n".join(wrong)


def test_dockerfile_checks_the_lock_hash_before_installing(dockerfile: list[Stage]) -> None:
    """The LOCK_SHA256 the labels carry is checked against uv.lock before the first install."""
    runs = _runs(dockerfile)
    first_sync = next((i for i, run in enumerate(runs) if UV_SYNC.search(run)), None)
    assert first_sync is not None, "no RUN installs with `uv sync`"
    checks = [
        i
        for i, run in enumerate(runs)
        if "LOCK_SHA256" in run and "sha256sum" in run and "uv.lock" in run
    ]
    assert checks and checks[0] < first_sync, (
        "no RUN checks $LOCK_SHA256 against uv.lock (sha256sum) before the first `uv sync`"
    )


def test_images_are_labelled_with_version_and_lock(dockerfile: list[Stage]) -> None:
    """The serving image (the last stage) and the pipeline image (target `pipeline`, when
    there is one) carry LABELs from `ARG PROJECT_VERSION` and `ARG LOCK_SHA256`."""
    targets = [dockerfile[-1], *(s for s in dockerfile[:-1] if s.name == "pipeline")]
    missing = [
        f"{target.name}: {arg}"
        for target in targets
        for arg in LABELLED
        if not _labels_carry(_chain(dockerfile, target), arg)
    ]
    assert not missing, "images without a LABEL from the ARG:\n" + "\n".join(missing)
