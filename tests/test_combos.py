"""combos.py must read copier.yml exactly as copier does: checked against copier itself.

copier-mlops's copier.yml has one kind of rule only (a yes/no question hidden where its
validator refuses it), so the rule machinery is also exercised on tests/data/ruled_template,
which has one of each kind.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import copier
import pytest
import yaml

from tests.combos import (
    COPIER_PRIVATE_API_CHECKED,
    Combo,
    Template,
    copier_config,
    covered_pairs,
    load,
)
from tests.helpers import assert_refused, copy_template, render

RULED_ROOT = Path(__file__).parent / "data" / "ruled_template"


@pytest.fixture(scope="module", params=["copier-mlops", "ruled"])
def any_template(request: pytest.FixtureRequest) -> Template:
    return load() if request.param == "copier-mlops" else load(RULED_ROOT)


def _raw_choices(spec: dict[str, Any]) -> list[Any]:
    choices = spec.get("choices", {True: True, False: False} if spec.get("type") == "bool" else {})
    values = choices.values() if isinstance(choices, dict) else choices
    return [v["value"] if isinstance(v, dict) else v for v in values]


def _plain_reading(root: Path) -> dict[str, Any]:
    """copier.yml's documents merged, each `!include` read as the plain YAML it names."""

    class Loader(yaml.SafeLoader):
        pass

    def include(loader: yaml.SafeLoader, node: yaml.Node) -> list[Any]:
        pattern = str(loader.construct_scalar(node))  # type: ignore[arg-type]
        return [yaml.safe_load(path.read_text()) for path in sorted(root.glob(pattern))]

    Loader.add_constructor("!include", include)
    merged: dict[str, Any] = {}
    for document in yaml.load_all((root / "copier.yml").read_text(), Loader=Loader):
        for part in document if isinstance(document, list) else [document]:
            merged.update(part or {})
    return merged


def test_axes_are_the_choice_questions_of_copier_yml(any_template: Template) -> None:
    """The matrix axes match a plain YAML reading of copier.yml and the question files it
    includes (nothing hard-coded)."""
    raw = _plain_reading(any_template.root)
    expected = {
        name: _raw_choices(spec)
        for name, spec in raw.items()
        if isinstance(spec, dict) and _raw_choices(spec) and not name.startswith("_")
    }
    assert any_template.dimensions == expected


def test_tiers_are_nested_and_valid(any_template: Template) -> None:
    """smoke ⊆ pairwise ⊆ full, all valid; smoke is what `--defaults` alone answers."""
    full = {c.data for c in any_template.full}
    pairwise = {c.data for c in any_template.pairwise}
    smoke = any_template.smoke
    assert len(smoke) == 1 and smoke[0].valid
    assert smoke[0].answers == any_template.evaluate({}).answers
    assert {smoke[0].data} <= pairwise <= full
    assert all(c.valid for c in any_template.full)
    assert not any(c.valid for c in any_template.invalid)


def test_pairwise_covers_every_valid_pair(any_template: Template) -> None:
    """Every pair of option values that some valid combination holds is in the pairwise tier."""
    missing = any_template.valid_pairs() - covered_pairs(any_template.pairwise)
    assert not missing, sorted(missing, key=str)
    assert len(any_template.pairwise) <= len(any_template.full)


def test_runtime_runs_every_pair_not_declared_apart(any_template: Template) -> None:
    """`runtime` holds every valid pair of axes that may run together, starts with the
    defaults, and with `apart` (the pairs it leaves out, locked only) covers every pair."""
    runtime, apart = any_template.runtime, any_template.apart
    missing = any_template.valid_pairs() - covered_pairs(runtime)
    assert not [p for p in missing if not any_template.run_apart(p)]
    assert not missing - covered_pairs(apart), "a pair neither run nor locked"
    assert runtime[0].data == any_template.smoke[0].data
    assert all(c.valid for c in [*runtime, *apart])
    assert len(runtime) <= len(any_template.pairwise)


def test_run_apart_names_real_axes() -> None:
    """An axis misspelt in options/run_apart.yml would silently pair nothing apart; every
    entry says why, and the serving side and the pipeline side are among them."""
    template = load()
    declared = yaml.safe_load((template.root / "options" / "run_apart.yml").read_text())
    for entry in declared:
        assert set(entry["axes"]) | set(entry.get("from", ())) <= set(template.dimensions), entry
        assert entry["why"], entry
    serving_orchestrator = (("serving", "fastapi"), ("orchestrator", "airflow"))
    assert template.run_apart(serving_orchestrator)
    assert not template.run_apart((("model_framework", "xgboost"), ("serving", "grpc")))
    assert len(template.runtime) < len(template.pairwise)


@pytest.mark.parametrize("tier", ["runtime", "pairwise"])
def test_run_together_groups_run_every_combination(tier: str) -> None:
    """Each group of options/run_together.yml (e.g. task x model_framework x edge_runtime:
    the export of each framework's model for each task) runs whole in the tiers that run
    projects, not only pair by pair; its axes are real and it says why."""
    template = load()
    declared = yaml.safe_load((template.root / "options" / "run_together.yml").read_text())
    assert declared, "no run-together group declared"
    for entry in declared:
        axes = tuple(entry["axes"])
        assert set(axes) <= set(template.dimensions) and len(axes) > 2, entry
        assert entry["why"], entry
        valid = {c.values_of(axes) for c in template.full} - {None}
        run = {c.values_of(axes) for c in template.tier(tier)}  # type: ignore[arg-type]
        assert valid <= run, sorted(valid - run, key=str)
    export = (("task", "regression"), ("model_framework", "xgboost"), ("edge_runtime", "onnx"))
    assert export in template.together_tuples()


def test_covering_multiplies_each_interaction_group(any_template: Template) -> None:
    """Every valid combination of each declared interaction group is in `covering`, and so
    is every valid pair."""
    covering = any_template.covering
    assert any_template.interaction_groups
    for axes in any_template.interaction_groups:

        def key(combo: Combo, axes: tuple[str, ...] = axes) -> tuple[Any, ...]:
            return tuple(combo.data_dict.get(a) for a in axes)

        assert {key(c) for c in any_template.full} == {key(c) for c in covering}, axes
    assert covered_pairs(covering) == any_template.valid_pairs()
    assert all(c.valid for c in covering)


def test_interaction_groups_name_real_axes() -> None:
    """A group naming an axis that is not a question would silently shrink the tier."""
    template = load()
    declared = yaml.safe_load((template.root / "options" / "interactions.yml").read_text())
    for group in declared:
        assert set(group["axes"]) <= set(template.dimensions), group
        assert group["why"], group


def test_every_refusal_is_enforced_at_the_prompt(any_template: Template) -> None:
    """Each refused combination is unreachable interactively: its question is not asked,
    its choice is greyed out, or its answer is typed and validated. Copier runs no
    validator on a select or yes/no answer, so a rule there would let the prompt save what
    `--data` refuses (and break every later update): give it a choice validator or `when`."""
    unguarded = {c.error for c in any_template.invalid if any_template.guard(c) is None}
    assert not unguarded, sorted(unguarded)


def test_valid_combos_pass_no_hidden_answer(any_template: Template) -> None:
    """Copier renders a value passed for a hidden question but does not save it."""
    tiers = (any_template.full, any_template.covering, any_template.pairwise, any_template.smoke)
    passed_hidden = [c.id for tier in tiers for c in tier if set(c.data_dict) & set(c.hidden)]
    assert not passed_hidden


def test_ruled_template_exercises_every_rule() -> None:
    """The synthetic template refuses through a disabled choice, a free-text validator and
    a hidden question given a value its validator refuses; `when` also drops accepted ones."""
    ruled = load(RULED_ROOT)
    assert {(c.error_question, ruled.guard(c)) for c in ruled.invalid} == {
        ("framework", "disabled choice"),
        ("ci", "disabled choice"),
        ("gpu", "not asked"),
    }
    assert set(ruled.typed_checks) == {"name"}
    sklearn = [c for c in ruled.full if c.data_dict["framework"] == "sklearn"]
    assert sklearn and all("gpu" not in c.data_dict for c in sklearn)  # `when` dropped it
    assert any(not c.pairs() <= covered_pairs(ruled.full) for c in ruled.invalid)


def test_verdicts_agree_with_copier(tmp_path: Path) -> None:
    """For every row of the product, passed as is (a hidden question's pick included),
    copier does what combos.py predicts: it records the predicted answers, or refuses with
    the predicted line and writes nothing."""
    ruled = load(RULED_ROOT)
    template_dir = copy_template(tmp_path / "template", ruled)
    outcomes = set()
    for n, row in enumerate(itertools.product(*ruled.dimensions.values())):
        picks = dict(zip(ruled.dimensions, row, strict=True))
        combo = ruled.evaluate(picks)
        hidden_pick = bool(set(picks) & set(combo.hidden))
        outcomes.add((combo.valid, hidden_pick))
        dst = tmp_path / f"row-{n}"
        if not combo.valid:
            assert_refused(template_dir, picks, combo.error, dst)
            continue
        copier.run_copy(
            str(template_dir), str(dst), data=picks, defaults=True, unsafe=True, quiet=True
        )
        recorded = yaml.safe_load((dst / ".copier-answers.yml").read_text())
        assert {k: v for k, v in recorded.items() if not k.startswith("_")} == combo.answers_dict
    # Accepted and refused rows, each with and without a pick for a hidden question.
    assert outcomes == {(True, False), (True, True), (False, False), (False, True)}
    for n, combo in enumerate(ruled.full):  # and the combos themselves, as the suite passes them
        project = render(template_dir, combo, tmp_path / f"ok-{n}")
        recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
        assert {k: v for k, v in recorded.items() if not k.startswith("_")} == combo.answers_dict


def test_copier_private_api_canary(tmp_path: Path) -> None:
    """copier_config() reads `!include` globs and multi-document settings as copier does, on
    the copier versions it was checked with: a new copier that breaks it fails here first."""
    from importlib.metadata import version

    from packaging.specifiers import SpecifierSet

    installed = version("copier")
    assert installed in SpecifierSet(COPIER_PRIVATE_API_CHECKED), (
        f"copier {installed}: check tests/combos.py's copier_config() against it, then widen "
        "COPIER_PRIVATE_API_CHECKED"
    )
    (tmp_path / "parts").mkdir()
    (tmp_path / "parts" / "b.yml").write_text("b:\n  type: str\n  default: x\n")
    (tmp_path / "copier.yml").write_text(
        "_exclude: [one]\na:\n  type: bool\n  default: true\n---\n"
        "!include parts/*.yml\n---\n_exclude: [two]\n"
        "c:\n  type: yaml\n  when: false\n  default: !include parts/*.yml\n"
    )
    settings, questions = copier_config(tmp_path)
    assert list(questions) == ["a", "b", "c"]
    assert questions["c"]["default"] == [{"b": {"type": "str", "default": "x"}}]
    assert settings["exclude"] == ["one", "two"]
