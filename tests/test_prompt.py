"""The interactive `copier copy`, in an ordinary 80-column terminal, as a person sees it.

copier runs in a 24x80 pseudo-terminal and its output goes through pyte, a terminal
emulator: the tests read the rendered screen, so a help, a choice or a refusal that
prompt_toolkit cuts off at the right edge fails them. What is typed and what must be
refused comes from combos.py, the same source as the `--data` tests in test_invalid.py.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import NoReturn

import pexpect
import pyte
import pytest
import yaml
from prompt_toolkit.input.ansi_escape_sequences import REVERSE_ANSI_SEQUENCES
from prompt_toolkit.keys import Keys
from prompt_toolkit.utils import get_cwidth

from tests.combos import Combo, Guard, Question, Template, load
from tests.helpers import copy_template

ROWS, COLUMNS = 24, 80
# prompt_toolkit leaves the last column of a select question's first line blank (measured
# at 80 columns), so every line the prompt draws must fit in one column less.
FITS = COLUMNS - 1
QMARK = "🎤 "  # copier's mark before the help; later help lines carry their own indent
TIMEOUT = 60.0

ENTER = "\r"
UP = REVERSE_ANSI_SEQUENCES[Keys.Up]
DOWN = REVERSE_ANSI_SEQUENCES[Keys.Down]
CLEAR_LINE = REVERSE_ANSI_SEQUENCES[Keys.ControlU]  # deletes the pre-filled default

RULED_ROOT = Path(__file__).parent / "data" / "ruled_template"
TEMPLATES = {"copier-mlops": load(), "ruled": load(RULED_ROOT)}

prompt = pytest.mark.prompt  # the copier sessions; the static width check runs always


def _squash(text: str) -> str:
    """Text without whitespace: wrapped across lines still matches, cut off does not."""
    return "".join(text.split())


class Session:
    """One copier command in a 24x80 pty, its output rendered by a terminal emulator."""

    def __init__(self, *args: str) -> None:
        self.screen = pyte.HistoryScreen(COLUMNS, ROWS, history=100_000)
        self.stream = pyte.Stream(self.screen)
        env = {k: v for k, v in os.environ.items() if k not in {"COLUMNS", "LINES"}}
        self.child = pexpect.spawn(
            sys.executable,
            ["-m", "copier", *args],
            encoding="utf-8",
            dimensions=(ROWS, COLUMNS),
            # No terminal answers prompt_toolkit's cursor-position request: without this
            # it waits about a second for the reply at every question.
            env={**env, "TERM": "xterm", "PROMPT_TOOLKIT_NO_CPR": "1"},
        )

    @classmethod
    def copy(cls, template_dir: Path, dst: Path, *options: str) -> Session:
        return cls("copy", "--trust", *options, str(template_dir), str(dst))

    def visible(self) -> str:
        return "\n".join(self.screen.display)

    def transcript(self) -> str:
        """Every line shown so far, scrolled off the top or still on screen."""
        lines = [*self.screen.history.top, *(self.screen.buffer[y] for y in range(ROWS))]
        return "\n".join("".join(line[x].data for x in range(COLUMNS)) for line in lines)

    def _read(self, timeout: float) -> bool:
        """Feed what copier printed within `timeout` to the screen; False once it exited."""
        try:
            self.stream.feed(self.child.read_nonblocking(65536, timeout))
        except pexpect.TIMEOUT:
            pass
        except pexpect.EOF:
            return False
        return True

    def wait_for(self, text: str) -> None:
        """Wait until `text` is on the screen whole (line breaks aside)."""
        deadline = time.monotonic() + TIMEOUT
        running = True
        while _squash(text) not in _squash(self.visible()):
            if not running or time.monotonic() > deadline:
                self.fail(f"never saw whole:\n{text}")
            running = self._read(0.2)

    def fail(self, reason: str) -> NoReturn:
        """Stop copier (no stray process) and fail the test with what the screen shows."""
        self.child.terminate(force=True)
        pytest.fail(f"{reason}\n--- the screen:\n{self.visible()}")

    def send(self, keys: str) -> None:
        self.child.send(keys)

    def finish(self) -> int:
        """Wait for copier to exit and return its exit status."""
        deadline = time.monotonic() + 180
        while self._read(0.5):
            if time.monotonic() > deadline:
                self.fail("copier still running")
        self.child.close()
        return int(self.child.exitstatus if self.child.exitstatus is not None else -1)


def _help(template: Template, question: Question, context: Mapping[str, object]) -> str:
    """The text copier shows above a question (its name when there is no help)."""
    return str(template.render(question.help, context)).strip() or question.name


def _keys(
    template: Template, question: Question, value: object, context: Mapping[str, object]
) -> str:
    """What a person types to answer `value`, starting from the pre-selected default."""
    if question.type == "bool":
        return "y" if value else "n"
    default = template.default(question, context)
    if question.typed:
        return ENTER if value == default else CLEAR_LINE + str(value) + ENTER
    assert not question.multiselect, "multiselect prompts are not driven yet"
    disabled = template.disabled_choices(question, context)
    pairs = zip(question.choices, question.options(), strict=True)
    enabled = [option for choice, option in pairs if choice not in disabled]
    moves = enabled.index(value) - enabled.index(default)  # the pointer skips greyed-out ones
    return (DOWN * moves if moves > 0 else UP * -moves) + ENTER


Step = Callable[[Session, Mapping[str, object]], None]


def _walk(
    session: Session, template: Template, combo: Combo, at: Mapping[str, Step] | None = None
) -> None:
    """Answer every question copier asks to reach `combo`, each once its help is whole on
    screen; `at[name]` runs first at that question (with the earlier answers)."""
    context: dict[str, object] = {}
    answers = combo.answers_dict
    for question in template.prompted(combo):
        session.wait_for(_help(template, question, context))
        if at and question.name in at:
            at[question.name](session, context)
        session.send(_keys(template, question, answers[question.name], context))
        context[question.name] = answers[question.name]


def _recorded(dst: Path, template: Template) -> dict[str, object]:
    answers_file = dst / template.config.get("answers_file", ".copier-answers.yml")
    recorded = yaml.safe_load(answers_file.read_text())
    return {k: v for k, v in recorded.items() if not k.startswith("_")}


def _source(which: str, template_dir: Path, tmp_path: Path) -> tuple[Template, Path]:
    """A template and the plain folder copier copies it from."""
    template = TEMPLATES[which]
    if which == "copier-mlops":
        return template, template_dir
    return template, copy_template(tmp_path / "template", template)


def _refusals(guard: Guard) -> Iterator[object]:
    """One refused combination per (template, question) that `guard` keeps from the prompt."""
    for which, template in TEMPLATES.items():
        seen = set()
        for combo in template.invalid:
            if combo.error_question not in seen and template.guard(combo) == guard:
                seen.add(combo.error_question)
                yield pytest.param(which, combo, id=f"{which}-{combo.error_question}")


def _earlier(template: Template, combo: Combo) -> dict[str, object]:
    """The picks of `combo` for the questions asked before its refused one."""
    names = list(template.questions)
    stop = names.index(combo.error_question)
    return {k: v for k, v in combo.data if names.index(k) < stop}


# ── What the prompt draws fits in 80 columns (static, from copier.yml) ────────


def _drawn_lines(template: Template) -> Iterator[tuple[str, str]]:
    """(where, text) for each line the prompt may draw: helps, choices, refusals."""
    defaults = template.evaluate({}).answers_dict
    contexts = [c.answers_dict for c in (*template.full, *template.invalid)]
    asked = {q.name for c in template.full for q in template.prompted(c)}
    for q in template.questions.values():
        if q.name not in asked:
            continue  # computed (`when: false` everywhere): never drawn
        for n, line in enumerate(_help(template, q, defaults).splitlines()):
            yield f"{q.name} help", (QMARK if n == 0 else "") + line
        for choice in q.choices if q.type != "bool" else ():  # yes/no shows "(y/N)"
            yield f"{q.name} choice", f" » {choice.label}"
        reasons = {
            (c.label, str(template.render(c.validator, ctx)).strip())
            for ctx in contexts
            for c in template.disabled_choices(q, ctx)
        }
        for label, reason in sorted(reasons):
            yield f"{q.name} disabled choice", f"   - {label} ({reason})"
    for combo in template.invalid:
        yield f"{combo.error_question} refusal", combo.error
    for name, refusals in template.typed_checks.items():
        for _, line in refusals:
            yield f"{name} refusal", line


@pytest.mark.parametrize("which", list(TEMPLATES))
def test_every_prompt_line_fits_80_columns(which: str) -> None:
    """Helps (several short lines if need be), choice labels, greyed-out reasons and
    refusal lines read whole in an 80-column terminal: prompt_toolkit cuts, not wraps."""
    template = TEMPLATES[which]
    too_wide = {
        f"{where} ({get_cwidth(text)} columns): {text}"
        for where, text in _drawn_lines(template)
        if get_cwidth(text) > FITS
    }
    assert not too_wide, "\n".join(sorted(too_wide))


# ── Sessions ──────────────────────────────────────────────────────────────────


@prompt
def test_defaults_to_the_end(template: Template, template_dir: Path, tmp_path: Path) -> None:
    """Pressing Enter at every question generates the default project."""
    dst = tmp_path / "project"
    session = Session.copy(template_dir, dst)
    _walk(session, template, template.smoke[0])
    assert session.finish() == 0, session.visible()
    assert _recorded(dst, template) == template.evaluate({}).answers_dict


TYPED = [
    pytest.param(which, name, refusals[0], id=f"{which}-{name}")
    for which, template in TEMPLATES.items()
    for name, refusals in template.typed_checks.items()
    if refusals
]


@prompt
@pytest.mark.parametrize(("which", "question", "refusal"), TYPED)
def test_bad_typed_answer_then_a_good_one(
    which: str, question: str, refusal: tuple[str, str], template_dir: Path, tmp_path: Path
) -> None:
    """A typing mistake shows its refusal whole and the prompt stays open; the default,
    typed out, then goes through (test_invalid.py refuses every mistake with --data)."""
    template, source = _source(which, template_dir, tmp_path)
    bad, line = refusal

    def mistake(session: Session, context: Mapping[str, object]) -> None:
        session.send(CLEAR_LINE + bad + ENTER)
        session.wait_for(line)
        good = template.default(template.questions[question], context)
        session.send(CLEAR_LINE + str(good))

    dst = tmp_path / "project"
    session = Session.copy(source, dst)
    _walk(session, template, template.smoke[0], at={question: mistake})
    assert session.finish() == 0, session.visible()
    assert _recorded(dst, template) == template.smoke[0].answers_dict


@prompt
@pytest.mark.parametrize(("which", "refused"), list(_refusals("not asked")))
def test_hidden_rule_is_never_asked(
    which: str, refused: Combo, template_dir: Path, tmp_path: Path
) -> None:
    """Where `--data` refuses a yes/no answer, the prompt does not ask the question: the
    user picks the same options with the arrow keys, is never offered it, and the answers
    file does not record it (so `copier update` cannot trip on it later)."""
    template, source = _source(which, template_dir, tmp_path)
    hidden = template.questions[refused.error_question]
    target = template.evaluate({k: v for k, v in refused.data if k != hidden.name})
    assert target.valid and hidden.name in target.hidden, target
    dst = tmp_path / "project"
    session = Session.copy(source, dst)
    _walk(session, template, target)
    assert session.finish() == 0, session.visible()
    recorded = _recorded(dst, template)
    assert recorded == target.answers_dict and hidden.name not in recorded
    seen = _squash(session.transcript())
    context = target.answers_dict
    asked = [_squash(_help(template, q, context)) for q in template.prompted(target)]
    assert all(text in seen for text in asked)  # the transcript holds every question asked
    assert _squash(_help(template, hidden, context)) not in seen, f"{hidden.name} was asked"


@prompt
@pytest.mark.parametrize(("which", "refused"), list(_refusals("disabled choice")))
def test_disabled_choice_shows_its_reason(
    which: str, refused: Combo, template_dir: Path, tmp_path: Path
) -> None:
    """A choice `--data` refuses is listed greyed out with its reason, whole; the user
    reaches it with the refused combination's earlier answers, then keeps the default."""
    template, source = _source(which, template_dir, tmp_path)
    question = template.questions[refused.error_question]
    target = template.evaluate(_earlier(template, refused))
    assert target.valid, target

    def greyed_out(session: Session, context: Mapping[str, object]) -> None:
        disabled = template.disabled_choices(question, context)
        assert disabled, f"nothing greyed out at {question.name} after {context}"
        for choice in disabled:
            reason = str(template.render(choice.validator, context)).strip()
            session.wait_for(f"- {choice.label} ({reason})")

    dst = tmp_path / "project"
    session = Session.copy(source, dst)
    _walk(session, template, target, at={question.name: greyed_out})
    assert session.finish() == 0, session.visible()
    assert _recorded(dst, template) == target.answers_dict


def _data_refusals() -> Iterator[object]:
    for guard in ("not asked", "disabled choice"):
        yield from _refusals(guard)


@prompt
@pytest.mark.parametrize(("which", "refused"), list(_data_refusals()))
def test_data_refusal_reads_whole(
    which: str, refused: Combo, template_dir: Path, tmp_path: Path
) -> None:
    """`copier copy --data` with a refused combination fails with its reason readable in
    the same terminal, and writes nothing."""
    _, source = _source(which, template_dir, tmp_path)
    data = [f"--data={k}={str(v).lower() if isinstance(v, bool) else v}" for k, v in refused.data]
    dst = tmp_path / "project"
    session = Session.copy(source, dst, "--defaults", *data)
    assert session.finish() != 0, session.visible()
    assert _squash(refused.error) in _squash(session.visible()), session.visible()
    assert not dst.exists() or not any(dst.iterdir())
