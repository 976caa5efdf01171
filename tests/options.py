"""The option declarations (options/<axis>/<value>/option.yml), read the way copier.yml reads them.

copier.yml includes every option.yml as `catalog` and leaves out each path pattern that only
unchosen options own. The harness reads the same files for what a project must and must not
contain, so there is no second table to keep in step with the template.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import yaml
from packaging.version import Version
from pathspec import PathSpec

from tests.combos import TEMPLATE_ROOT

OPTIONS = "options"
DECLARATION = "option.yml"
QUESTION = "question.yml"
# A yes/no option's folder is named for the answer that brings it.
BOOL_FOLDERS = {True: "yes", False: "no"}


@dataclass(frozen=True)
class Option:
    """One value of one axis: its facts and the path patterns it owns."""

    axis: str
    value: Any
    folder: Path
    facts: Mapping[str, Any]

    @property
    def owns(self) -> tuple[str, ...]:
        return tuple(self.facts.get("owns") or ())

    @property
    def requirements(self) -> tuple[str, ...]:
        """Runtime requirements (dependencies and extras), comment lines left out."""
        lines = [*self.facts.get("dependencies", ()), *self.facts.get("extra_dependencies", ())]
        return tuple(line for line in lines if not line.startswith("#"))

    @property
    def dependency_names(self) -> tuple[str, ...]:
        return tuple(normalize(requirement) for requirement in self.requirements)

    def edge_dependency_names(self, edge_runtime: str) -> tuple[str, ...]:
        """What this model framework's export needs for `edge_runtime` (its `edge` fact)."""
        lines = self.facts.get("edge", {}).get(edge_runtime, {}).get("dependencies", ())
        return tuple(normalize(line) for line in lines if not line.startswith("#"))

    def chosen(self, answers: Mapping[str, Any]) -> bool:
        return self.axis in answers and answers[self.axis] == self.value


def normalize(requirement: str) -> str:
    """A requirement's distribution name, PEP 503-normalized."""
    match = re.match(r"[A-Za-z0-9._-]+", requirement)
    assert match, f"not a requirement: {requirement!r}"
    return re.sub(r"[-_.]+", "-", match.group(0)).lower()


def declarations(root: Path = TEMPLATE_ROOT) -> list[Option]:
    """Every options/<axis>/<value>/option.yml, sorted by path."""
    found = []
    for path in sorted((root / OPTIONS).glob(f"*/*/{DECLARATION}")):
        facts = yaml.safe_load(path.read_text())
        found.append(Option(facts["axis"], facts["value"], path.parent, facts))
    return found


def excluded(options: Iterable[Option], answers: Mapping[str, Any]) -> set[str]:
    """The patterns copier.yml's `_exclude` leaves out: owned, and by no chosen option."""
    options = list(options)
    kept = {p for o in options if o.chosen(answers) for p in o.owns}
    return {p for o in options for p in o.owns} - kept


@functools.cache
def _spec(patterns: tuple[str, ...]) -> PathSpec:
    # Copier's own choice of pattern style (copier._main._pathspec_pattern).
    style = "gitignore" if Version(version("pathspec")) >= Version("1.0.0") else "gitwildmatch"
    return PathSpec.from_lines(style, patterns)


def matcher(patterns: Iterable[str]) -> PathSpec:
    """Matches project-relative paths the way copier's `_exclude` does."""
    return _spec(tuple(patterns))
