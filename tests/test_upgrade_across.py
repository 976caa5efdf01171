"""Projects generated from an old template commit update cleanly to the working tree.

The smoke combination only and no project checks (`python -m tests.upgrade_across` runs the
pairwise tier, more bases and `make lint test`): this guards restructurings of copier.yml
and templates/ against breaking `copier update` for projects users already have.
"""

from __future__ import annotations

import subprocess
from fnmatch import fnmatch

import pytest

from tests.combos import TEMPLATE_ROOT
from tests.upgrade_across import report, run

pytestmark = pytest.mark.upgrade_across

# The last commit before options/ (issue #10's redesign), and an older one on main (before
# the `when: false` derived values and the schema-driven rewrite), so the update crosses
# real changes of many files, not only the answers file.
BASES = ("77eeb15", "6c4bed1")
# Since BASE the template changed the last lines of these files, where the user appends:
# a 3-way merge must ask (git would too), so inline markers there are the right outcome.
# Any other conflict, and every other problem, fails the test.
EXPECTED_CONFLICTS = ("README.md", "src/*/core/features.py")


def _in_history(commit: str) -> bool:
    argv = ["git", "cat-file", "-e", f"{commit}^{{commit}}"]
    return subprocess.run(argv, cwd=TEMPLATE_ROOT, capture_output=True, check=False).returncode == 0


def test_smoke_project_from_an_old_commit_updates_cleanly() -> None:
    """No unexpected conflicts, no lost edits, `_commit` moved, same files as a fresh render
    with the same edits (the conflicted files aside)."""
    missing = [b for b in BASES if not _in_history(b)]
    if missing:  # a shallow clone: the old template versions are not there to update from
        pytest.skip(f"commits {missing} are not in this clone's history (git fetch --unshallow)")
    results = run(list(BASES), tier="smoke", jobs=1)

    assert results, "the smoke tier is empty"
    assert not [r.skipped for r in results if r.skipped]
    for result in results:
        others = [p for p in result.problems if not p.startswith("conflict markers")]
        unexpected = [
            name
            for name in result.conflicts
            if not any(fnmatch(name, pattern) for pattern in EXPECTED_CONFLICTS)
        ]
        assert not others and not unexpected, report(results)
