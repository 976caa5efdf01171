"""Answers copier must refuse, with the validator's message, before writing anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.combos import MISTAKES, Combo, Template, load
from tests.helpers import assert_refused

TYPED = [
    pytest.param(question, bad, line, id=f"{question}={bad!r}")
    for question, refusals in load().typed_checks.items()
    for bad, line in refusals
]


def test_invalid_combination_is_refused(bad: Combo, template_dir: Path, tmp_path: Path) -> None:
    """Combinations combos.py marks invalid are refused the way copier.yml says.

    `bad` comes from conftest: refusals covering every pair of values that some refused
    combination has (all of them with `--static-combos full`).
    """
    assert_refused(template_dir, bad.data_dict, bad.error, tmp_path / "project")


@pytest.mark.parametrize(("question", "answer", "line"), TYPED)
def test_bad_free_text_is_refused(
    question: str, answer: str, line: str, template_dir: Path, tmp_path: Path
) -> None:
    """Free-text validators reject typing mistakes with their own message (the same
    refusals test_prompt.py types at the prompt)."""
    assert_refused(template_dir, {question: answer}, line, tmp_path / "project")


def test_every_free_text_validator_refuses_a_mistake(template: Template) -> None:
    """A validated free-text question no mistake trips would go untested: add a mistake."""
    assert template.typed_checks, "copier.yml validates no free-text answer"
    untested = [name for name, refusals in template.typed_checks.items() if not refusals]
    assert not untested, f"no answer in MISTAKES={MISTAKES} is refused by {untested}"
