"""Fixtures and the `--combos`/`--static-combos` options shared by the template's tests.

Static checks take the tier chosen with `--static-combos` (default: covering, every
combination of the interacting options; `full` is all of them); tests marked `generated`
take the tier chosen with `--combos smoke|runtime|pairwise|covering|full` (default: smoke),
because each of them installs and tests a whole generated project; with `runtime`, the
pairs it does not run (options/run_apart.yml) are locked instead (`apart`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import cast

import pytest
from filelock import FileLock

from tests import terraform
from tests.combos import TIERS, Template, Tier, load
from tests.helpers import Renders, Verdicts, cache_root, copy_template

TEMPLATE = load()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--combos",
        choices=TIERS,
        default="smoke",
        help="combinations for the `generated` tests: smoke (defaults), runtime, pairwise, "
        "covering, full",
    )
    parser.addoption(
        "--static-combos",
        choices=TIERS,
        default="covering",
        help="combinations for the static checks (default: covering; full: every combination)",
    )
    parser.addoption(
        "--latest",
        action="store_true",
        help="generated projects resolve the newest releases, not the pin date in pyproject.toml",
    )


def pytest_configure(config: pytest.Config) -> None:
    # Read by tests.helpers.uv_pin in this process and in the xdist workers it starts.
    if config.getoption("--latest"):
        os.environ["COPIER_MLOPS_LATEST"] = "1"
    # The AWS provider's mirror, found once (tests/terraform.py): the static tier and the
    # generated projects' own Terraform tests (through their environment) read it.
    if "TF_PLUGIN_MIRROR" not in os.environ and (mirror := terraform.find_mirror()):
        os.environ["TF_PLUGIN_MIRROR"] = str(mirror)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Give every test that asks for `combo` its tier of the matrix, `bad` its refusals."""
    if "bad" in metafunc.fixturenames:
        full = metafunc.config.getoption("--static-combos") == "full"
        bad = TEMPLATE.invalid if full else TEMPLATE.invalid_pairwise
        no_rule = pytest.mark.skip(reason="no rule in copier.yml disables a combination yet")
        params = [pytest.param(c, id=c.id) for c in bad] or [pytest.param(None, marks=no_rule)]
        metafunc.parametrize("bad", params)
    if "apart" in metafunc.fixturenames:
        tier = metafunc.config.getoption("--combos")
        runs_all = pytest.mark.skip(reason=f"the {tier} tier runs together every pair it holds")
        params = [pytest.param(c, id=c.id) for c in TEMPLATE.apart] if tier == "runtime" else []
        metafunc.parametrize("apart", params or [pytest.param(None, marks=runs_all)])
    if "combo" not in metafunc.fixturenames:
        return
    generated = metafunc.definition.get_closest_marker("generated") is not None
    option = "--combos" if generated else "--static-combos"
    tier = cast(Tier, metafunc.config.getoption(option))
    combos = TEMPLATE.tier(tier)
    metafunc.parametrize("combo", combos, ids=[c.id for c in combos])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    from tests.test_generated import run_first  # a test module: imported once collected

    items[:] = run_first(items, TEMPLATE.tier(cast(Tier, config.getoption("--combos"))))


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


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Seconds per generated project, summed by orchestrator (the heavy stacks' budget)."""
    rows: dict[str, list[dict[str, float]]] = {}
    for outcome in ("passed", "failed"):
        for report in terminalreporter.stats.get(outcome, []):
            for name, value in getattr(report, "user_properties", ()):
                if name == "timings" and getattr(report, "when", "") == "call":
                    timings = dict(value)
                    group = str(timings.pop("orchestrator"))
                    timings.pop("combo")
                    rows.setdefault(group, []).append(timings)
    if not rows:
        return
    columns = sorted({column for group in rows.values() for row in group for column in row})
    terminalreporter.section("generated projects: seconds by orchestrator (sum over combos)")
    widths = {c: len(c) + 2 for c in columns}
    terminalreporter.write_line(
        f"{'orchestrator':14}{'combos':>7}"
        + "".join(f"{c:>{widths[c]}}" for c in columns)
        + f"{'total':>9}"
    )
    for group, group_rows in sorted(rows.items()):
        sums = {c: sum(r.get(c, 0.0) for r in group_rows) for c in columns}
        cells = "".join(f"{sums[c]:>{widths[c]}.0f}" for c in columns)
        total = sum(sums.values())
        terminalreporter.write_line(f"{group:14}{len(group_rows):>7}{cells}{total:>9.0f}")
