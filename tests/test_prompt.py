"""The interactive `copier copy`, driven through a pseudo-terminal as a person would.

A wide pty (500 columns) keeps prompt_toolkit from truncating help and validation
messages, so the tests can wait for the exact text copier.yml renders.
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import pexpect
import pytest
import yaml
from prompt_toolkit.input.ansi_escape_sequences import REVERSE_ANSI_SEQUENCES
from prompt_toolkit.keys import Keys

from tests.combos import Choice, Combo, Question, Template, load
from tests.helpers import copy_template

pytestmark = pytest.mark.prompt

ENTER = "\r"
CLEAR_LINE = REVERSE_ANSI_SEQUENCES[Keys.ControlU]  # deletes the pre-filled default
RULED_ROOT = Path(__file__).parent / "data" / "ruled_template"


class Session:
    """One `copier copy --trust` under pexpect, with its screen output kept for failures."""

    def __init__(self, template_dir: Path, dst: Path) -> None:
        self.screen = io.StringIO()
        self.child = pexpect.spawn(
            sys.executable,
            ["-m", "copier", "copy", "--trust", str(template_dir), str(dst)],
            encoding="utf-8",
            timeout=30,
            dimensions=(60, 500),
            # No terminal answers prompt_toolkit's cursor-position request: without this
            # it waits about a second for the reply at every question.
            env={**os.environ, "PROMPT_TOOLKIT_NO_CPR": "1"},
        )
        self.child.logfile_read = self.screen

    def expect(self, text: str) -> None:
        try:
            self.child.expect_exact(text)
        except (pexpect.TIMEOUT, pexpect.EOF):
            tail = self.screen.getvalue()[-3000:]
            pytest.fail(f"never saw {text!r}; the screen ended with:\n{tail}")

    def answer(self, template: Template, question: Question, keys: str = ENTER) -> None:
        """Wait for the question's prompt (its help's first line), then type `keys`."""
        help_text = str(template.render(question.help, {})).strip().splitlines()
        self.expect(help_text[0] if help_text else question.name)
        self.child.send(keys)

    def finish(self) -> None:
        self.child.expect(pexpect.EOF, timeout=120)
        self.child.close()
        assert self.child.exitstatus == 0, self.screen.getvalue()[-3000:]


def _recorded(dst: Path, template: Template) -> dict[str, object]:
    answers_file = dst / template.config.get("answers_file", ".copier-answers.yml")
    recorded = yaml.safe_load(answers_file.read_text())
    return {k: v for k, v in recorded.items() if not k.startswith("_")}


def _walk(session: Session, template: Template, combo: Combo, skip: str = "") -> None:
    for question in template.prompted(combo):
        if question.name != skip:
            session.answer(template, question)


def test_defaults_to_the_end(template: Template, template_dir: Path, tmp_path: Path) -> None:
    """Pressing Enter at every question generates the default project."""
    dst = tmp_path / "project"
    session = Session(template_dir, dst)
    _walk(session, template, template.smoke[0])
    session.finish()
    assert _recorded(dst, template) == template.evaluate({}).answers_dict


def test_rejected_project_name_then_a_good_one(
    template: Template, template_dir: Path, tmp_path: Path
) -> None:
    """A bad project name shows the validator's message and the prompt stays open."""
    bad, good = "Bad Name", "good-name"
    message = template.question_problem("project_name", bad)
    assert message, "copier.yml accepts a project name with a space"
    expected = template.evaluate({"project_name": good})
    dst = tmp_path / "project"
    session = Session(template_dir, dst)
    session.answer(template, template.questions["project_name"], CLEAR_LINE + bad + ENTER)
    session.expect(message)
    session.child.send(CLEAR_LINE + good + ENTER)
    _walk(session, template, expected, skip="project_name")
    session.finish()
    assert _recorded(dst, template) == expected.answers_dict


def _disabled_at_defaults(template: Template) -> tuple[Question, Choice, str] | None:
    """A choice greyed out when every earlier question keeps its default, and why."""
    context: dict[str, object] = {}
    for name, value in template.evaluate({}).answers:
        question = template.questions[name]
        for choice in template.disabled_choices(question, context):
            return question, choice, str(template.render(choice.validator, context)).strip()
        context[name] = value
    return None


@pytest.mark.parametrize("which", ["copier-mlops", "ruled"])
def test_disabled_choice_shows_its_reason(which: str, tmp_path: Path) -> None:
    """A disabled choice is listed with the reason its validator renders (ruled: a
    synthetic template with such a rule, so the check runs before copier-mlops has one)."""
    template = load() if which == "copier-mlops" else load(RULED_ROOT)
    found = _disabled_at_defaults(template)
    if found is None:
        pytest.skip(f"no rule in {which}'s copier.yml disables a choice yet")
    question, choice, reason = found
    template_dir = copy_template(tmp_path / "template", template)
    session = Session(template_dir, tmp_path / "project")
    for asked in template.prompted(template.smoke[0]):
        if asked is question:
            session.answer(template, asked, keys="")
            session.expect(choice.label)
            session.expect(reason)
            session.child.send(ENTER)
        else:
            session.answer(template, asked)
    session.finish()
