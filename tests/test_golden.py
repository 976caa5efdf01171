"""Six diverse projects render byte for byte as the stored manifests say (tests/golden.py).

When this fails after a change meant to keep the output, the change is wrong; when
the output was meant to change, `python -m tests.golden --diff` shows how, and
`python -m tests.golden` rewrites the manifests (commit them with that change alone).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.combos import load
from tests.golden import GOLDEN, combo, differences
from tests.helpers import Renders


@pytest.mark.parametrize("name", GOLDEN)
def test_render_matches_its_golden_manifest(name: str, renders: Renders) -> None:
    project: Path = renders.get(combo(name))
    changed = differences(name, project)
    assert not changed, (
        f"{name} renders differently from tests/data/golden/{name}.json:\n"
        + "\n".join(changed)
        + "\n(python -m tests.golden --diff shows how; python -m tests.golden accepts it)"
    )


def test_golden_renders_reach_every_value_of_every_axis() -> None:

    template = load()
    reached = {(k, v) for name in GOLDEN for k, v in combo(name).answers_dict.items()}
    missing = [
        f"{axis}={value}"
        for axis, values in template.dimensions.items()
        for value in values
        if (axis, value) not in reached
    ]
    assert not missing, f"no golden render has {', '.join(missing)}"
