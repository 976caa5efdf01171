"""The template's option matrix, derived from copier.yml and never hard-coded.

Copier decides what a user may answer with Jinja templates in copier.yml: a choice-level
`validator` that renders to a non-empty string disables that choice, a question-level
`validator` rejects an answer, and `when` skips a question (not asked, not saved; a value
passed for it with `--data` is still validated). This module renders those same templates
for every combination of the choice questions, so adding a choice or a rule to copier.yml
changes the test matrix by itself.

Tiers: `smoke` (the default answers), `runtime` (every valid pair of option values that can
meet in a running project: options/run_apart.yml names the axes that never do; `apart`
holds the pairs it leaves out, for a lock check), `pairwise` (every valid pair of option
values at least once), `covering` (every valid combination of each interaction group
declared in options/interactions.yml and every valid pair, in as few combinations as the
greedy cover finds), `full` (every valid combination). `python -m tests.combos [tier]`
prints one.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import os
import pickle
import random
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, get_args

import yaml
from filelock import FileLock
from jinja2 import meta
from jinja2.sandbox import SandboxedEnvironment

TEMPLATE_ROOT = Path(__file__).resolve().parents[1]
Tier = Literal["smoke", "runtime", "pairwise", "covering", "full"]
TIERS: tuple[Tier, ...] = get_args(Tier)
Pair = tuple[tuple[str, Any], tuple[str, Any]]

# Declared groups of axes whose values meet in the same files (options/interactions.yml).
INTERACTIONS = Path("options") / "interactions.yml"
# Declared axes whose code never runs together (options/run_apart.yml).
RUN_APART = Path("options") / "run_apart.yml"
# Declared groups of axes whose every valid combination must run (options/run_together.yml).
RUN_TOGETHER = Path("options") / "run_together.yml"
# Greedy restarts for the pairwise tier; it stops early at the lower bound (25 today, at seed 10).
PAIRWISE_RESTARTS = 100
_UNSET = object()  # a name the context lacks (Jinja's undefined), in memo keys


def _stored(method: Callable[[Template], list[Combo]]) -> cached_property[list[Combo]]:
    """A tier computed once per template content (copier.yml, options/, this module) and
    kept in the cache folder: xdist workers and later runs read it instead of recomputing
    the covers, which take a minute over a product of tens of thousands of answers."""

    @functools.wraps(method)
    def stored(self: Template) -> list[Combo]:
        path = self.store / f"{method.__name__}.pickle"
        path.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(path.with_suffix(".lock")):
            if path.exists():
                combos: list[Combo] = pickle.loads(path.read_bytes())
                return combos
            combos = method(self)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(pickle.dumps(combos))
            tmp.replace(path)
            return combos

    return cached_property(stored)


def _frozen(value: Any) -> Any:
    """A hashable stand-in for an answer (dicts and lists become tuples)."""
    if isinstance(value, Mapping):
        return tuple((k, _frozen(v)) for k, v in value.items())
    if isinstance(value, list | tuple | set):
        return tuple(_frozen(v) for v in value)
    return value


_FALSE = {"", "0", "n", "no", "f", "false", "off", "null", "~", "none"}

# Typing mistakes tried on every free-text question that has a validator: each such
# question must refuse at least one (tests/test_invalid.py checks), at the prompt and
# with `--data` alike.
MISTAKES: tuple[str, ...] = ("Bad Name", "1pkg", "nope", "")

# How the interactive prompt keeps a user from reaching a refused combination.
Guard = Literal["not asked", "disabled choice", "validated as typed"]


def _as_bool(value: Any) -> bool:
    """Copier's reading of a rendered `when` (YAML-like booleans)."""
    if isinstance(value, str):
        return value.strip().lower() not in _FALSE
    return bool(value)


def _cast(type_name: str, value: Any) -> Any:
    """Cast an answer the way copier does for the question's `type`."""
    if isinstance(value, tuple | list):
        return tuple(_cast(type_name, item) for item in value)
    if type_name == "str":
        return str(value)
    if type_name == "bool":
        return _as_bool(value)
    if type_name in {"int", "float"}:
        return {"int": int, "float": float}[type_name](value)
    return _parsed_yaml(value) if isinstance(value, str) else value


@functools.lru_cache(maxsize=4096)
def _parsed_yaml(text: str) -> Any:
    """A yaml/json answer, parsed once: computed answers (`option`, every option's facts)
    render to the same text for many combinations. Callers must not mutate it."""
    return yaml.safe_load(text)


@dataclass(frozen=True)
class Choice:
    """One choice of a question; `validator` disables it when it renders non-empty."""

    label: str
    value: Any
    validator: str = ""


@dataclass(frozen=True)
class Question:
    """A copier.yml question, reduced to what decides validity and defaults."""

    name: str
    type: str
    default: Any
    help: str = ""
    validator: str = ""
    when: Any = True
    ask: Any = True
    choices: tuple[Choice, ...] = ()
    multiselect: bool = False

    @classmethod
    def parse(cls, name: str, spec: Mapping[str, Any]) -> Question:
        default = spec.get("default")
        type_name = spec.get("type") or type(default).__name__
        raw = spec.get("choices") or ([] if type_name != "bool" else {"Yes": True, "No": False})
        if isinstance(raw, str):
            raise NotImplementedError(f"{name}: templated `choices` are not supported yet")
        items = raw.items() if isinstance(raw, Mapping) else ((c, c) for c in raw)
        choices = []
        for label, value in items:
            if isinstance(value, Mapping):
                choices.append(Choice(str(label), value["value"], value.get("validator", "")))
            else:
                choices.append(Choice(str(label), value))
        return cls(
            name=name,
            type=type_name if type_name in {"str", "int", "float", "bool", "json"} else "yaml",
            default=default,
            help=spec.get("help", ""),
            validator=spec.get("validator", ""),
            when=spec.get("when", True),
            ask=spec.get("ask", True),
            choices=tuple(choices),
            multiselect=bool(spec.get("multiselect", False)),
        )

    @property
    def typed(self) -> bool:
        """Answered by typing: copier runs the validator at the prompt only for these (and
        for multiselects), never for a select or a yes/no question."""
        return not self.choices

    def options(self) -> list[Any]:
        """Every answer this question can take in the matrix (subsets for multiselect)."""
        values = [_cast(self.type, c.value) for c in self.choices]
        if not self.multiselect:
            return values
        return [s for n in range(len(values) + 1) for s in itertools.combinations(values, n)]


@dataclass(frozen=True)
class Combo:
    """One set of answers and copier's verdict on it.

    `data` is what a test passes as `run_copy(data=...)`: the choice questions whose
    `when` holds, plus, in a refused combo only, the refused value of a `hidden` one.
    `answers` is everything copier records in the answers file (data plus rendered
    defaults, without `hidden`). `error` is the line copier refuses it with ("" if valid).
    """

    id: str
    data: tuple[tuple[str, Any], ...]
    answers: tuple[tuple[str, Any], ...]
    error: str = ""
    error_question: str = ""
    hidden: tuple[str, ...] = ()  # questions whose `when` is false: not asked, not saved

    @property
    def valid(self) -> bool:
        return not self.error

    @property
    def data_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self.data}

    @property
    def answers_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self.answers}

    def pairs(self) -> set[Pair]:
        return set(itertools.combinations(self.data, 2))

    def values_of(self, axes: Sequence[str]) -> tuple[tuple[str, Any], ...] | None:
        """This combination's values of `axes` (None if one of them is not asked)."""
        chosen = dict(self.data)
        if not all(a in chosen for a in axes):
            return None
        return tuple((a, chosen[a]) for a in axes)


# The copier versions copier_config() was checked against (tests/test_combos.py's canary).
COPIER_PRIVATE_API_CHECKED = ">=9.4,<10"


def copier_config(root: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(settings, questions) of the template at `root`, read by copier's own loader.

    The one use of copier's private API in the harness: `load_template_config` resolves
    `!include` globs and merges copier.yml's documents (concatenating `_exclude`) exactly as
    copier does, and `filter_config` splits settings from questions. A copier release that
    moves them fails the canary in tests/test_combos.py, not every test at once.
    """
    from copier._template import filter_config, load_template_config

    conf_path = next(p for p in (root / "copier.yml", root / "copier.yaml") if p.exists())
    config, questions = filter_config(load_template_config(conf_path))
    return dict(config), dict(questions)


class Template:
    """copier.yml of one template root, evaluated the way copier evaluates it."""

    def __init__(self, root: Path = TEMPLATE_ROOT) -> None:
        config, questions = copier_config(root)
        self.root = root
        self.config = config
        self.questions = {name: Question.parse(name, spec) for name, spec in questions.items()}
        # The environment copier builds (copier._main.Worker.jinja_env) minus its file loader.
        envops = {"keep_trailing_newline": True, **config.get("envops", {})}
        extensions = ["jinja2_ansible_filters.AnsibleCoreFiltersExtension"]
        self.env = SandboxedEnvironment(
            extensions=[*extensions, *config.get("jinja_extensions", [])], **envops
        )

    def render(self, source: Any, context: Mapping[str, Any]) -> Any:
        """Render a templated value; non-strings pass through, as in copier.

        Memoized on the values of the names the template reads: the full product
        renders the same few expressions over the same few answers tens of thousands
        of times.
        """
        if not isinstance(source, str):
            return source
        key = (source, *(_frozen(context.get(name, _UNSET)) for name in self._names(source)))
        if key not in self._rendered:
            self._rendered[key] = self._compiled(source).render(dict(context))
        return self._rendered[key]

    @functools.cache  # noqa: B019 - one Template per root, kept for the session
    def _compiled(self, source: str) -> Any:
        return self.env.from_string(source)

    @functools.cache  # noqa: B019 - one Template per root, kept for the session
    def _names(self, source: str) -> tuple[str, ...]:
        return tuple(sorted(meta.find_undeclared_variables(self.env.parse(source))))

    @cached_property
    def store(self) -> Path:
        """Where this template's tiers are kept (see _stored)."""
        from tests.helpers import cache_root  # tests.helpers imports this module

        key = hashlib.sha256(Path(__file__).read_bytes())
        files = [self.root / "copier.yml", *sorted((self.root / "options").rglob("*"))]
        for file in files:
            if file.is_file():
                key.update(file.relative_to(self.root).as_posix().encode() + file.read_bytes())
        return cache_root() / "tiers" / key.hexdigest()[:24]

    @cached_property
    def _rendered(self) -> dict[tuple[Any, ...], Any]:
        return {}

    @cached_property
    def _read(self) -> set[str]:
        """Every name some question's `when`, default or validator reads."""
        sources = [
            s
            for q in self.questions.values()
            for s in (q.when, q.default, q.validator, *(c.validator for c in q.choices))
            if isinstance(s, str)
        ]
        return {name for source in sources for name in self._names(source)}

    @cached_property
    def dimensions(self) -> dict[str, list[Any]]:
        """The matrix axes: every choice question with all its options."""
        return {q.name: q.options() for q in self.questions.values() if q.choices}

    @cached_property
    def varying(self) -> tuple[str, ...]:
        """Axes with more than one option: the ones worth naming in a combo id."""
        return tuple(name for name, values in self.dimensions.items() if len(values) > 1)

    def evaluate(self, picks: Mapping[str, Any]) -> Combo:
        """What `run_copy(data=picks, defaults=True)` does with the questions.

        Questions are resolved in order, the first refusal wins, and the picks of later
        questions are visible as copier's `init` data. A question whose `when` is false is
        hidden: copier still validates a value passed for it (so a refused one refuses the
        combo), renders an accepted one without saving it, and checks its computed default
        against the choices only. An accepted pick of a hidden question is dropped from
        `data`: passing it would render what the answers file cannot record.
        """
        data = {k: _cast(self.questions[k].type, v) for k, v in picks.items()}
        answers: dict[str, Any] = {}
        hidden: list[str] = []
        error = error_question = ""
        for q in self.questions.values():
            remembered = {k: v for k, v in answers.items() if k not in hidden}
            context = {**data, **answers, "_copier_answers": remembered}
            shown = _as_bool(self.render(q.when, context))
            if not shown:
                hidden.append(q.name)
            if not shown and q.name in data:
                refusal = self.problem(q, data[q.name], context)
                if not refusal:
                    del data[q.name]
                elif not error:
                    error, error_question = refusal, q.name
            if not shown and not q.choices and not q.validator and q.name not in self._read:
                answers[q.name] = None  # computed for the files only (`option`): not a rule
                continue
            value = data[q.name] if q.name in data else self.default(q, context)
            answers[q.name] = value
            check = self.problem if shown else self.choice_problem
            if not error and (refusal := check(q, value, context)):
                error, error_question = refusal, q.name
        saved = tuple((k, v) for k, v in answers.items() if k not in hidden)
        passed = tuple((k, data[k]) for k in self.questions if k in data)
        name = "-".join(str(data[k]) for k in self.varying if k in data) or "defaults"
        return Combo(name, passed, saved, error, error_question, tuple(hidden))

    def default(self, q: Question, context: Mapping[str, Any]) -> Any:
        """The question's default answer, given the answers in `context`."""
        return _cast(q.type, self.render(q.default, context))

    def problem(self, q: Question, value: Any, context: Mapping[str, Any]) -> str:
        """The line copier refuses `value` with (choices, then validator), or "" if none."""
        if refusal := self.choice_problem(q, value, context):
            return refusal
        message = str(self.render(q.validator, {**context, q.name: value})).strip()
        return f"Validation error for question '{q.name}': {message}" if message else ""

    def choice_problem(self, q: Question, value: Any, context: Mapping[str, Any]) -> str:
        """The line copier refuses a value outside the enabled choices with, or ""."""
        if not q.choices or q.type == "bool":  # copier gives a yes/no question no choices
            return ""
        disabled = self.disabled_choices(q, context)
        for choice in disabled:
            cast = _cast(q.type, choice.value)
            if cast == value or (q.multiselect and cast in value):
                reason = str(self.render(choice.validator, context)).strip()
                return f"Invalid choice for '{q.name}': {reason}"
        enabled = [_cast(q.type, c.value) for c in q.choices if c not in disabled]
        if not q.multiselect and value not in enabled:
            return f"Invalid choice for '{q.name}': {value!r} is not in {enabled}"
        return ""

    def disabled_choices(self, q: Question, context: Mapping[str, Any]) -> list[Choice]:
        """The choices of `q` that copier greys out in this context."""
        return [c for c in q.choices if str(self.render(c.validator, context)).strip()]

    def prompted(self, combo: Combo) -> list[Question]:
        """The questions an interactive `copier copy` asks, in order, to reach `combo`."""
        asked: list[Question] = []
        context: dict[str, Any] = {}
        for name, value in combo.answers:  # in question order, skipped questions left out
            if _as_bool(self.render(self.questions[name].ask, context)):
                asked.append(self.questions[name])
            context[name] = value
        return asked

    def question_problem(self, name: str, value: Any) -> str:
        """The line copier refuses a free-text answer with, other answers at defaults."""
        combo = self.evaluate({})
        return self.problem(self.questions[name], value, combo.answers_dict)

    @cached_property
    def typed_checks(self) -> dict[str, list[tuple[str, str]]]:
        """Each asked free-text question with a validator: the MISTAKES it refuses, and how."""
        asked = self.evaluate({}).answers_dict
        checks = {}
        for q in self.questions.values():
            if q.typed and q.validator and q.name in asked:
                refusals = [(bad, self.question_problem(q.name, bad)) for bad in MISTAKES]
                checks[q.name] = [(bad, line) for bad, line in refusals if line]
        return checks

    def guard(self, combo: Combo) -> Guard | None:
        """How an interactive session keeps a user from `combo`'s refusal (None: it does not).

        Copier validates typed answers as they are entered and greys out disabled choices,
        but accepts any answer to a select or yes/no question, whatever its validator says;
        a question it does not ask cannot be answered at all.
        """
        q = self.questions[combo.error_question]
        if q.name in combo.hidden:
            return "not asked"
        answers = combo.answers_dict
        before = dict(itertools.takewhile(lambda kv: kv[0] != q.name, combo.answers))
        values = answers[q.name] if q.multiselect else (answers[q.name],)
        if any(_cast(q.type, c.value) in values for c in self.disabled_choices(q, before)):
            return "disabled choice"
        if q.typed or q.multiselect:
            return "validated as typed"
        return None

    # ── tiers ──────────────────────────────────────────────────────────────

    @cached_property
    def _product(self) -> list[tuple[tuple[Any, ...], Combo]]:
        axes = list(self.dimensions.values())
        rows = itertools.product(*axes)
        return [(row, self.evaluate(dict(zip(self.dimensions, row, strict=True)))) for row in rows]

    @_stored
    def full(self) -> list[Combo]:
        """Every valid combination, once (combos that differ only in skipped answers merge)."""
        return _unique(c for _, c in self._product if c.valid)

    @_stored
    def invalid(self) -> list[Combo]:
        """Every combination copier must refuse, with the message it must refuse it with."""
        return _unique(c for _, c in self._product if not c.valid)

    @_stored
    def invalid_pairwise(self) -> list[Combo]:
        """Refused combinations covering every pair of option values that any refused one has.

        A rule is a Jinja expression over the answers, so a pair it reacts to is exercised
        here; `full` keeps every refused combination.
        """
        return greedy_cover(self.invalid, covered_pairs(self.invalid))

    @cached_property
    def smoke(self) -> list[Combo]:
        """The default answers, expressed as the full-matrix combo they equal."""
        defaults = self.evaluate({}).answers_dict
        return [self.evaluate({k: v for k, v in defaults.items() if k in self.dimensions})]

    @_stored
    def pairwise(self) -> list[Combo]:
        """The smallest set found that holds every valid pair and every combination of the
        groups declared in options/run_together.yml, the defaults first."""
        return self._smallest_cover(self.valid_pairs(), self.together_axes)

    @_stored
    def runtime(self) -> list[Combo]:
        """The smallest set found that holds every valid pair of axes that may run together
        (not declared apart in options/run_apart.yml) and every combination of the
        run-together groups, the defaults first."""
        pairs = {p for p in self.valid_pairs() if not self.run_apart(p)}
        return self._smallest_cover(pairs, self.together_axes)

    @cached_property
    def together_axes(self) -> list[tuple[str, ...]]:
        """Declared groups of axes whose every valid combination must run (not just pairs)."""
        path = self.root / RUN_TOGETHER
        declared = yaml.safe_load(path.read_text()) if path.exists() else []
        return [tuple(entry["axes"]) for entry in declared or []]

    def together_tuples(self) -> set[Pair]:
        """Every valid combination of each run-together group's values, as cover elements."""
        return {t for c in self.full for t in _group_values(c, self.together_axes)}

    @_stored
    def apart(self) -> list[Combo]:
        """Combinations holding the valid pairs that `runtime` leaves out."""
        return greedy_cover(self.full, self.valid_pairs() - covered_pairs(self.runtime))

    @cached_property
    def apart_axes(self) -> list[tuple[frozenset[str], frozenset[str]]]:
        """Declared axes that never run together, as (axes, apart from): `axes` alone are
        apart from each other (a single one from every axis); with `from`, each of `axes`
        is apart from each axis listed there."""
        path = self.root / RUN_APART
        declared = yaml.safe_load(path.read_text()) if path.exists() else []
        return [
            (frozenset(entry["axes"]), frozenset(entry.get("from", ()))) for entry in declared or []
        ]

    def run_apart(self, pair: Pair) -> bool:
        """Whether the two axes of `pair` are declared never to run together."""
        a, b = pair[0][0], pair[1][0]
        for axes, others in self.apart_axes:
            if others and ((a in axes and b in others) or (b in axes and a in others)):
                return True
            if not others and ({a, b} <= axes or (len(axes) == 1 and axes & {a, b})):
                return True
        return False

    def _smallest_cover(self, pairs: set[Pair], groups: Sequence[tuple[str, ...]]) -> list[Combo]:
        """The smallest set found that holds every pair of `pairs` and every valid
        combination of each group of axes in `groups`, the defaults first.

        Greedy set cover (each step takes the combination covering most missing elements),
        restarted with seeded tie-breaking orders: deterministic, and it stops as soon as
        a set meets the lower bound (the most pairs any two axes have, or the most
        combinations a group has), which is optimal.
        """
        tuples = {t for c in self.full for t in _group_values(c, groups)}
        by_group = [len({t for t in tuples if tuple(a for a, _ in t) == g}) for g in groups]
        bound = max(lower_bound(pairs), *by_group, 1)
        # Elements as bits of an int: the greedy step counts set bits instead of building sets.
        bit = {element: 1 << i for i, element in enumerate(sorted(pairs | tuples, key=repr))}
        masks = {
            c.data: sum(bit[e] for e in c.pairs() | _group_values(c, groups) if e in bit)
            for c in self.full
        }
        everything = sum(bit.values())
        best: list[Combo] = []
        for seed in range(PAIRWISE_RESTARTS):
            order = list(self.full)
            random.Random(seed).shuffle(order)
            # The first of equal masks is the one max() would take: drop the rest.
            unique = dict(reversed([(masks[c.data], c) for c in order]))
            ordered, combos = list(reversed(unique)), list(reversed(unique.values()))
            chosen = list(self.smoke)
            missing = everything & ~sum(masks[c.data] for c in chosen)
            while missing:
                counts = [(mask & missing).bit_count() for mask in ordered]
                index = counts.index(max(counts))
                chosen.append(combos[index])
                missing &= ~ordered[index]
            if not best or len(chosen) < len(best):
                best = chosen
            if len(best) <= bound:
                break
        return best

    @cached_property
    def interaction_groups(self) -> list[tuple[str, ...]]:
        """The declared groups (their axes that are choice questions here); a template that
        declares none is one group of every axis, so `covering` is `full`."""
        path = self.root / INTERACTIONS
        if not path.exists():
            return [tuple(self.dimensions)]
        groups = [
            tuple(a for a in g["axes"] if a in self.dimensions)
            for g in yaml.safe_load(path.read_text())
        ]
        return [g for g in groups if g]

    @_stored
    def covering(self) -> list[Combo]:
        """The smallest set found that holds every valid combination of each interaction
        group (a skipped question's value counts as None) and every valid pair."""
        return self._smallest_cover(self.valid_pairs(), self.interaction_groups)

    def valid_pairs(self) -> set[Pair]:
        """Every pair of option values that some valid combination contains."""
        return covered_pairs(self.full)

    def tier(self, name: Tier) -> list[Combo]:
        combos: list[Combo] = getattr(self, name)  # each tier is computed on first use only
        return combos


@functools.cache
def load(root: Path = TEMPLATE_ROOT) -> Template:
    """The template at `root`, parsed once per process."""
    return Template(root)


def greedy_cover(candidates: list[Combo], pairs: set[Pair]) -> list[Combo]:
    """Combinations from `candidates` holding every pair of `pairs`: each step takes the
    one holding most of the pairs still missing (the first such, so the order decides ties)."""
    chosen: list[Combo] = []
    missing = set(pairs)
    while missing:
        best = max(candidates, key=lambda c: len(c.pairs() & missing))
        chosen.append(best)
        missing -= best.pairs()
    return chosen


def lower_bound(pairs: Iterable[Pair]) -> int:
    """No set covers `pairs` with fewer combinations than two axes have pairs among them."""
    by_axes: dict[tuple[str, str], int] = {}
    for (first, _), (second, _) in pairs:
        by_axes[first, second] = by_axes.get((first, second), 0) + 1
    return max(by_axes.values(), default=1)


def covered_pairs(combos: Iterable[Combo]) -> set[Pair]:
    return set().union(*(c.pairs() for c in combos))


def _group_values(combo: Combo, groups: Sequence[tuple[str, ...]]) -> set[Pair]:
    """The combination's values of each group of axes, a skipped question's as None."""
    answers = combo.data_dict
    return {tuple((axis, answers.get(axis)) for axis in axes) for axes in groups}  # type: ignore[misc]


def _unique(combos: Iterable[Combo]) -> list[Combo]:
    seen: dict[tuple[tuple[str, Any], ...], Combo] = {}
    for combo in combos:
        seen.setdefault(combo.data, combo)
    return list(seen.values())


def _main(argv: list[str]) -> Iterator[str]:
    template = load()
    tier: Tier = next((t for t in TIERS if argv[:1] == [t]), "full")
    for combo in template.tier(tier):
        yield f"{combo.id:45} {combo.data_dict}"
    yield f"{tier}: {len(template.tier(tier))} combos, {len(template.invalid)} invalid"


if __name__ == "__main__":
    # Through the module's own name: the stored tiers pickle Combo as tests.combos.Combo,
    # which pytest must find again (as __main__.Combo it could not).
    from tests.combos import _main as main

    print("\n".join(main(sys.argv[1:])))
