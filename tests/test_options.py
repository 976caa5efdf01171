"""The option folders: an axis is a folder, a value is a subfolder, and the tree says who owns what.

These checks read the template only (no render): every choice has its folder and every folder
is a choice; every owned pattern names a file the template has; every variant under an option
folder is reached by the one stub in templates/ that selects it by path; no name under
templates/ carries a condition.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tests.combos import TEMPLATE_ROOT, Template, load
from tests.options import (
    BOOL_FOLDERS,
    DECLARATION,
    OPTIONS,
    QUESTION,
    Option,
    declarations,
    matcher,
)

SUFFIX = ".jinja"
# options/<axis>/<value>/fragments/<file>: what a value adds to a shared file that loops
# over the chosen options and includes each one's fragment (`ignore missing`).
FRAGMENTS = "fragments"


@pytest.fixture(scope="module")
def template() -> Template:
    return load()


@pytest.fixture(scope="module")
def options() -> list[Option]:
    return declarations()


def _outputs(template: Template) -> list[str]:
    """Every path templates/ can render, the package folder named `pkg`, suffix dropped."""
    root = TEMPLATE_ROOT / template.config.get("subdirectory", ".")
    paths = []
    for path in root.rglob("*"):
        rel = path.relative_to(root).as_posix().replace("{{package_name}}", "pkg")
        paths.append(rel.removesuffix(SUFFIX))
    return paths


def _axes() -> list[Path]:
    return sorted(p for p in (TEMPLATE_ROOT / OPTIONS).iterdir() if p.is_dir())


def test_every_axis_folder_holds_its_question(template: Template) -> None:
    """options/<axis>/question.yml defines exactly the question <axis>, and copier asks it."""
    for axis in _axes():
        question = yaml.safe_load((axis / QUESTION).read_text())
        assert list(question) == [axis.name], f"{axis}/{QUESTION} defines {list(question)}"
        assert axis.name in template.dimensions, f"copier.yml does not include {axis.name}"


def test_every_value_is_a_folder_and_every_folder_a_value(
    template: Template, options: list[Option]
) -> None:
    """A choice without a folder, or a folder without a choice, is a value half added."""
    for axis in _axes():
        values = template.dimensions[axis.name]
        folders = {p.name for p in axis.iterdir() if p.is_dir()}
        expected = {BOOL_FOLDERS[v] if isinstance(v, bool) else str(v) for v in values}
        if template.questions[axis.name].type == "bool":
            expected -= {BOOL_FOLDERS[False]} - folders  # "no" brings nothing: no folder needed
        assert folders == expected, f"{axis.name}: folders {folders}, choices {expected}"
    for option in options:
        folder = BOOL_FOLDERS[option.value] if isinstance(option.value, bool) else option.value
        assert option.folder == TEMPLATE_ROOT / OPTIONS / option.axis / str(folder), option
        assert option.value in template.dimensions[option.axis], option


def test_every_owned_pattern_names_a_template_file(
    template: Template, options: list[Option]
) -> None:
    """A claim that matches nothing is stale: the file was renamed and is now always rendered."""
    outputs = _outputs(template)
    stale = [
        f"{o.axis}={o.value}: {p}"
        for o in options
        for p in o.owns
        if not any(matcher([p]).match_file(out) for out in outputs)
    ]
    assert not stale, "\n".join(stale)


def _stub_target(stub: Path) -> tuple[str, str] | None:
    """(axis, path) of the variant a stub includes by path, or None for other files."""
    match = re.fullmatch(
        r'\{% include "options/(\w+)/" ~ (\w+) ~ "/([^"]+)" %\}', stub.read_text().strip()
    )
    if not match:
        return None
    axis, variable, path = match.groups()
    assert axis == variable, f"{stub} selects options/{axis}/ by the answer to {variable}"
    return axis, path


def test_every_variant_is_selected_by_one_stub(template: Template, options: list[Option]) -> None:
    """A file under options/<axis>/<value>/ (other than option.yml) is the value's variant of
    templates/<same path>, which includes it by the answer's path; each value that can render
    that file has its variant."""
    root = TEMPLATE_ROOT / template.config.get("subdirectory", ".")
    stubs = {
        target: stub
        for stub in root.rglob(f"*{SUFFIX}")
        if (target := _stub_target(stub)) is not None
    }
    assert stubs, "no stub includes a variant by path"
    for option in options:
        for variant in option.folder.rglob("*"):
            if variant.is_dir() or variant.name == DECLARATION or FRAGMENTS in variant.parts:
                continue
            rel = variant.relative_to(option.folder).as_posix()
            assert (option.axis, rel) in stubs, f"nothing in templates/ includes {variant}"
    by_axis: dict[str, list[Option]] = {}
    for option in options:
        by_axis.setdefault(option.axis, []).append(option)
    for (axis, rel), stub in stubs.items():
        output = rel.removesuffix(SUFFIX).replace("{{package_name}}", "pkg")
        owners = [o for o in by_axis[axis] if any(matcher([p]).match_file(output) for p in o.owns)]
        for option in owners or by_axis[axis]:
            assert (option.folder / rel).is_file(), f"{stub} has no variant for {option.value}"


def test_axis_files_are_included(template: Template) -> None:
    """A file shared by an axis's values (options/<axis>/<file>) is included somewhere."""
    root = TEMPLATE_ROOT / template.config.get("subdirectory", ".")
    sources = "\n".join(
        p.read_text()
        for where in (root, TEMPLATE_ROOT / OPTIONS)
        for p in where.rglob(f"*{SUFFIX}")
    )
    for axis in _axes():
        for shared in axis.glob("*"):
            if shared.is_file() and shared.name != QUESTION:
                rel = shared.relative_to(TEMPLATE_ROOT).as_posix()
                assert f'"{rel}"' in sources, f"nothing includes {rel}"


def test_every_fragment_has_a_shared_file_that_includes_it(options: list[Option]) -> None:
    """A fragment is included by the shared template that loops over the options."""
    root = TEMPLATE_ROOT / load().config.get("subdirectory", ".")
    sources = "\n".join(p.read_text() for p in root.rglob(f"*{SUFFIX}"))
    fragments = [f for o in options for f in (o.folder / FRAGMENTS).glob("*")]
    assert fragments, "no option contributes a fragment: is the folder name still right?"
    for fragment in fragments:
        assert f'fragments("{fragment.name}")' in sources, f"nothing includes {fragment}"


def test_no_template_name_carries_a_condition(template: Template) -> None:
    """Options choose files by ownership and variants by path, never by a name like
    `{% if serving == 'grpc' %}client.py{% endif %}`."""
    root = TEMPLATE_ROOT / template.config.get("subdirectory", ".")
    conditional = [p.relative_to(root) for p in root.rglob("*") if "{%" in p.name]
    assert not conditional, conditional


def _renderers(path: Path, axis: str, options: list[Option], template: Template) -> list[Option]:
    """The values of `axis` that can render the template file at `path`."""
    values = [o for o in options if o.axis == axis]
    root = TEMPLATE_ROOT / template.config.get("subdirectory", ".")
    if path.is_relative_to(root):
        output = path.relative_to(root).as_posix().removesuffix(SUFFIX)
        output = output.replace("{{package_name}}", "pkg")
        owners = [o for o in values if any(matcher([p]).match_file(output) for p in o.owns)]
        return owners or values
    inside = [o for o in values if path.is_relative_to(o.folder)]
    if inside:
        return inside
    rel = path.relative_to(TEMPLATE_ROOT).as_posix()
    return [o for o in values if any(rel in f.read_text() for f in o.folder.rglob(f"*{SUFFIX}"))]


def test_every_printed_fact_is_declared_by_every_value_that_renders_it(
    template: Template, options: list[Option]
) -> None:
    """`{{ option.serving.ready_path }}` in a file means every serving value that can render
    that file declares `ready_path`: a new value learns here which facts it owes."""
    sources = [
        p
        for where in (
            TEMPLATE_ROOT / template.config.get("subdirectory", "."),
            TEMPLATE_ROOT / OPTIONS,
        )
        for p in where.rglob("*")
        if p.is_file() and p.suffix in {SUFFIX, ".yml"}
    ]
    missing = []
    seen = 0
    for path in sources:
        for axis, fact in set(re.findall(r"option\.(\w+)\.(\w+)", path.read_text())):
            seen += 1
            for option in _renderers(path, axis, options, template):
                if fact not in option.facts:
                    missing.append(f"{option.axis}={option.value} lacks `{fact}` ({path.name})")
    assert seen, "no template prints an option fact: is the pattern still right?"
    assert not missing, "\n".join(sorted(set(missing)))
