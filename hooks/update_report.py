"""Post-update migration: tell the user what `copier update` did that they may not expect.

Copier refuses to update a dirty repository, so afterwards every difference between HEAD
and the working tree was made by the update. Copier runs this (a `_migrations` entry) in
the project, on update only, after it has removed the files the new render lacks: the
one moment those removals can still be seen. It only reads (git and files) and never
fails the update: an error is printed and the exit status stays 0.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RECOVER = "git restore --source=HEAD -- {path}"


def git(*args: str) -> str:
    """Read-only git in the project; no optional locks, so not even the index is refreshed."""
    argv = ["git", "--no-optional-locks", *args]
    return subprocess.run(argv, capture_output=True, text=True, check=True).stdout


def at_head(path: str) -> str | None:
    """The committed text of `path` (relative to the project), None if HEAD has no such file."""
    try:
        return git("show", f"HEAD:./{path}")
    except subprocess.CalledProcessError:
        return None


@dataclass
class Report:
    """The notable effects of one update; a part is empty when it has nothing to say."""

    version_from: str
    version_to: str
    answers: list[str] = field(default_factory=list)
    removed: dict[str, list[str]] = field(default_factory=dict)  # path -> the user's commits
    conflicts: dict[str, str] = field(default_factory=dict)  # path -> what to do about it
    dependencies: list[str] = field(default_factory=list)
    code: list[str] = field(default_factory=list)  # your code the new template calls otherwise

    def render(self) -> str:
        if not (self.answers or self.removed or self.conflicts or self.dependencies or self.code):
            return ""
        lines = [f"Update report (template {self.version_from} -> {self.version_to})"]
        if self.answers:
            lines += ["  Answers changed:", *(f"    {a}" for a in self.answers)]
        if self.removed:
            lines.append("  Removed: the template no longer renders these files with your answers")
            for path, commits in self.removed.items():
                lines.append(f"    {path}{_yours(commits)}")
            edited = [path for path, commits in self.removed.items() if commits] or ["<path>"]
            lines.append("  Recover a removed file as it was before the update:")
            lines += [f"    {RECOVER.format(path=path)}" for path in edited]
        if self.conflicts:
            lines.append("  Conflicts to resolve:")
            lines += [f"    {path}   ({todo})" for path, todo in self.conflicts.items()]
        if self.dependencies:
            lines.append(
                "  Dependencies changed: `make lock` (updates uv.lock, keeps your other pins),"
                " commit uv.lock, then `make install`:"
            )
            lines += [f"    {d}" for d in self.dependencies]
        if self.code:
            lines.append("  Code to change: the template now calls it differently")
            lines += [f"    {c}" for c in self.code]
        return "\n".join(lines)


def _yours(commits: Sequence[str]) -> str:
    """`   (had your changes: commits a1b2c3d, e4f5a6b)`, at most three named; "" for none."""
    if not commits:
        return ""
    named = ", ".join(commits[:3])
    if len(commits) > 3:
        named += f" and {len(commits) - 3} more"
    return f"   (had your changes: {'commit' if len(commits) == 1 else 'commits'} {named})"


def changed_answers(answers_file: str) -> list[str]:
    """`question: old -> new` for every answer the update changed (Copier's own keys left out)."""
    import yaml  # a dependency of Copier, so importable by `_copier_python`

    before_text = at_head(answers_file)
    if before_text is None or not Path(answers_file).exists():
        return []
    before = yaml.safe_load(before_text) or {}
    after = yaml.safe_load(Path(answers_file).read_text()) or {}
    missing = object()
    lines = []
    for key in [*before, *(k for k in after if k not in before)]:
        old, new = before.get(key, missing), after.get(key, missing)
        if key.startswith("_") or old == new:
            continue
        shown = ["(none)" if v is missing else _show(v) for v in (old, new)]
        lines.append(f"{key}: {shown[0]} -> {shown[1]}")
    return lines


def _show(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def removed_files(answers_file: str) -> dict[str, list[str]]:
    """Tracked files the update deleted, each with the user's commits that had changed it.

    A commit that touches the answers file is Copier's (the generation or an update, as
    committed); one that touches the file but not the answers file is the user's own.
    """
    out = git("diff", "HEAD", "--diff-filter=D", "--name-only", "--no-renames", "--relative", "-z")
    paths = [p for p in out.split("\0") if p]
    copier_commits = set(git("log", "--format=%H", "--", answers_file).split())
    removed = {}
    for path in paths:
        log = git("log", "--format=%H %h", "--", path).splitlines()
        removed[path] = [short for full, short in map(str.split, log) if full not in copier_commits]
    return removed


def conflicted_files() -> dict[str, str]:
    """Files left with inline markers (Copier records them as unmerged) or with a .rej file."""
    conflicts = {}
    for entry in git("ls-files", "--unmerged", "-z").split("\0"):
        if "\t" in entry:
            conflicts[entry.split("\t", 1)[1]] = "fix the <<<<<<< markers, then `git add` it"
    for path in git("ls-files", "-z").split("\0"):
        if path and Path(f"{path}.rej").exists():
            conflicts[path] = f"apply the hunks of {path}.rej by hand, then delete it"
    return dict(sorted(conflicts.items()))


def changed_dependencies(pyproject: str = "pyproject.toml") -> list[str]:
    """Per dependency list of pyproject.toml: what the update added, removed or re-pinned."""
    before_text = at_head(pyproject)
    if before_text is None or not Path(pyproject).exists():
        return []
    after_text = Path(pyproject).read_text()
    if after_text == before_text:
        return []
    try:
        import tomllib
    except ImportError:  # Python 3.10 (Copier's minimum) has no tomllib
        return [f"{pyproject} changed; check its dependencies"]
    try:
        before, after = (_dependency_lists(tomllib.loads(t)) for t in (before_text, after_text))
    except tomllib.TOMLDecodeError:
        return [f"{pyproject} no longer parses (a conflict?); resolve it first"]
    lines = []
    for name in [*before, *(n for n in after if n not in before)]:
        for verb, items in _compare(before.get(name, []), after.get(name, [])).items():
            lines.append(f"{name} {verb}: {', '.join(items)}")
    return lines


def _dependency_lists(pyproject: Mapping[str, Any]) -> dict[str, list[str]]:
    project = pyproject.get("project", {})
    lists = {"dependencies": project.get("dependencies", [])}
    for extra, requirements in project.get("optional-dependencies", {}).items():
        lists[f"optional-dependencies.{extra}"] = requirements
    for group, requirements in pyproject.get("dependency-groups", {}).items():
        lists[f"dependency-groups.{group}"] = requirements
    return {name: [_show(r) for r in requirements] for name, requirements in lists.items()}


def _compare(old: Sequence[str], new: Sequence[str]) -> dict[str, list[str]]:
    """Requirements added, removed and changed (`d>=1 -> d>=2`: one entry, not two)."""
    added = {_project_name(r): r for r in new if r not in old}
    removed, changed = [], []
    for requirement in (r for r in old if r not in new):
        replacement = added.pop(_project_name(requirement), None)
        if replacement is None:
            removed.append(requirement)
        else:
            changed.append(f"{requirement} -> {replacement}")
    parts = {"added": list(added.values()), "removed": removed, "changed": changed}
    return {verb: items for verb, items in parts.items() if items}


def _project_name(requirement: str) -> str:
    """The normalized distribution name a PEP 508 requirement starts with."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    return re.sub(r"[-_.]+", "-", match.group(1)).lower() if match else requirement


def frame_based_derive_features(root: Path = Path()) -> list[str]:
    """Schemas whose derive_features still takes a pandas frame, as generated before #12.

    It now gets `columns` (one numpy array per feature, NaN where missing), so served
    records never build a frame; a frame-based body fails at the first prediction.
    """
    found = []
    for path in sorted(root.glob("src/*/core/schemas.py")):
        try:
            tree = ast.parse(path.read_text())
        except SyntaxError:  # a conflicted file: the conflicts section names it
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name == "derive_features":
                uses_frame = "DataFrame" in ast.unparse(node.args) or any(
                    isinstance(n, ast.Attribute) and n.attr in ("to_numpy", "loc", "iloc")
                    for n in ast.walk(node)
                )
                if uses_frame:
                    found.append(
                        f"{path.as_posix()}:{node.lineno}: derive_features takes "
                        '`columns: Mapping[str, np.ndarray]` now: write `columns["x"]` for '
                        '`frame["x"].to_numpy(dtype=float)` (numbers arrive as float64)'
                    )
    return found


def build(answers_file: str) -> Report:
    git("rev-parse", "--verify", "--quiet", "HEAD")  # fails early outside a repository
    return Report(
        version_from=os.environ.get("VERSION_FROM", "?"),
        version_to=os.environ.get("VERSION_TO", "?"),
        answers=changed_answers(answers_file),
        removed=removed_files(answers_file),
        conflicts=conflicted_files(),
        dependencies=changed_dependencies(),
        code=frame_based_derive_features(),
    )


def main(argv: Sequence[str]) -> int:
    # Copier sets COPIER_OPERATION for tasks; migrations only run on update anyway.
    if os.environ.get("COPIER_OPERATION", "update") != "update":
        return 0
    if shutil.which("git") is None:
        print("Update report skipped: git not found.", file=sys.stderr)
        return 0
    try:
        text = build(argv[0] if argv else ".copier-answers.yml").render()
        if text:
            print(text, file=sys.stderr)
    except Exception as error:  # the report must never fail the update
        print(f"Update report skipped: {type(error).__name__}: {error}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
