"""Answers copier must refuse, with the validator's message, before writing anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.combos import Combo, Template
from tests.helpers import assert_refused


def test_invalid_combination_is_refused(bad: Combo, template_dir: Path, tmp_path: Path) -> None:
    """Combinations combos.py marks invalid are refused the way copier.yml says.

    `bad` comes from conftest: refusals covering every pair of values that some refused
    combination has (all of them with `--static-combos full`).
    """
    assert_refused(template_dir, bad.data_dict, bad.error, tmp_path / "project")


@pytest.mark.parametrize(
    ("question", "answer"),
    [("project_name", "Bad Name"), ("package_name", "1pkg"), ("author_email", "nope")],
)
def test_bad_free_text_is_refused(
    question: str, answer: str, template: Template, template_dir: Path, tmp_path: Path
) -> None:
    """Free-text validators reject malformed answers with their own message."""
    message = template.question_problem(question, answer)
    assert_refused(template_dir, {question: answer}, message, tmp_path / "project")
