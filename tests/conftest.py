"""Fixtures and the `--combos` option shared by the template's tests.

Static checks are parametrized over the full matrix; tests marked `generated` take the
tier chosen with `--combos smoke|pairwise|full` (default: smoke), because each of them
installs and tests a whole generated project.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import cast

import pytest
from filelock import FileLock

from tests.combos import TIERS, Template, Tier, load
from tests.helpers import Renders, Verdicts, cache_root, copy_template

TEMPLATE = load()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--combos",
        choices=TIERS,
        default="smoke",
        help="combinations for the `generated` tests: smoke (defaults), pairwise, full",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Give every test that asks for `combo` its tier of the matrix."""
    if "combo" not in metafunc.fixturenames:
        return
    generated = metafunc.definition.get_closest_marker("generated") is not None
    tier = cast(Tier, metafunc.config.getoption("--combos") if generated else "full")
    combos = TEMPLATE.tier(tier)
    metafunc.parametrize("combo", combos, ids=[c.id for c in combos])


@pytest.fixture(scope="session")
def template() -> Template:
    return TEMPLATE


@pytest.fixture(scope="session")
def shared_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder shared by all xdist workers of this run (the workers' common parent)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def template_dir(shared_dir: Path) -> Path:
    """A plain, git-less copy of the template: renders from it need no clone."""
    dst = shared_dir / "template"
    with FileLock(shared_dir / "template.lock"):
        if not (shared_dir / "template.ok").exists():
            copy_template(dst, TEMPLATE)
            (shared_dir / "template.ok").touch()
    return dst


@pytest.fixture(scope="session")
def renders(shared_dir: Path, template_dir: Path) -> Renders:
    return Renders(shared_dir / "renders", template_dir)


@pytest.fixture(scope="session")
def verdicts(renders: Renders) -> Verdicts:
    return Verdicts(cache_root() / "checks", renders)
