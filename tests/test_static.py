"""Static checks of every valid combination: what breaks before anything is installed.

Each test takes one rendered project of the `--static-combos` tier (default: covering, which
multiplies the interacting options; rendered once per session and
shared by xdist workers). External validators run in batches with verdicts cached by file
content (see helpers.Verdicts), so identical files across combinations are checked once.
"""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests import jenkinsfile
from tests.combos import Combo, Template
from tests.helpers import Renders, Validator, Verdicts, project_files, tool
from tests.options import declarations, excluded, matcher

# Literal `{{ }}` is legitimate in generated files (GitHub's `${{ }}`, docker/metadata-action's
# `{{version}}`, Helm); a leftover is a `{%` or a `{{ }}` naming one of copier's variables.
JINJA_STATEMENT = re.compile(r"\{%")
JINJA_EXPRESSION = re.compile(r"\{\{(.*?)\}\}")
COPIER_VARIABLES = {"_copier_conf", "_copier_answers", "_copier_python", "_folder_name"}


@pytest.fixture
def project(combo: Combo, renders: Renders) -> Path:
    return renders.get(combo)


def _require(name: str) -> str:
    """A validator's executable, or a visible skip saying what to install."""
    path = tool(name)
    if path is None:
        pytest.skip(f"`{name}` is not installed: `make test` installs the test group from uv.lock")
    return path


def _failures(results: dict[str, str]) -> str:
    return "\n\n".join(f"── {file}\n{message}" for file, message in results.items() if message)


def _leftover_jinja(text: str, variables: set[str]) -> bool:
    if JINJA_STATEMENT.search(text):
        return True
    names = (set(re.findall(r"[A-Za-z_]\w*", m.group(1))) for m in JINJA_EXPRESSION.finditer(text))
    return any(found & variables for found in names)


def test_no_leftover_jinja(project: Path, template: Template) -> None:
    """Unrendered Jinja (`{%`, `{{ <answer> }}`, a `.jinja` name) means a broken template file."""
    variables = set(template.questions) | COPIER_VARIABLES
    leftovers = []
    for path in project_files(project):
        rel = path.relative_to(project)
        if ".jinja" in path.name or "{{" in str(rel) or _leftover_jinja(str(rel), variables):
            leftovers.append(f"{rel}: unrendered file name")
            continue
        try:
            lines = path.read_text().splitlines()
        except UnicodeDecodeError:
            continue  # binary file
        leftovers += [f"{rel}:{n}: {line.strip()}" for n, line in enumerate(lines, 1)
                      if _leftover_jinja(line, variables)]  # fmt: skip
    assert not leftovers, "\n".join(leftovers)


def test_python_compiles(project: Path) -> None:
    """Every .py file is valid Python (the cheapest signal of a broken Jinja branch)."""
    sources = [p for p in project_files(project) if p.suffix == ".py"]
    assert sources, "the project has no Python source"
    errors = []
    for path in sources:
        try:
            compile(path.read_bytes(), str(path), "exec", dont_inherit=True)
        except SyntaxError as error:
            errors.append(f"{path.relative_to(project)}:{error.lineno}: {error.msg}")
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]], ids=["check", "format"])
def test_ruff(project: Path, command: list[str]) -> None:
    """Generated code is lint-clean and formatted under the project's own ruff config."""
    argv = [_require("ruff"), *command, "--no-cache", "."]
    result = subprocess.run(argv, cwd=project, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


class _AnyTagLoader(yaml.SafeLoader):
    """Safe YAML that reads application tags (GitLab's `!reference`) as plain data."""


def _plain(loader: yaml.SafeLoader, _suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)  # type: ignore[arg-type]


_AnyTagLoader.add_multi_constructor("!", _plain)
PARSERS: dict[str, Callable[[str], object]] = {
    ".yml": lambda text: list(yaml.load_all(text, Loader=_AnyTagLoader)),
    ".yaml": lambda text: list(yaml.load_all(text, Loader=_AnyTagLoader)),
    ".toml": tomllib.loads,
    ".json": json.loads,
}


def test_data_files_parse(project: Path) -> None:
    """YAML (multi-document allowed), TOML and JSON files parse."""
    files = [p for p in project_files(project) if p.suffix in PARSERS]
    assert any(p.name == "pyproject.toml" for p in files), "no pyproject.toml rendered"
    errors = []
    for path in files:
        try:
            PARSERS[path.suffix](path.read_text())
        except (yaml.YAMLError, tomllib.TOMLDecodeError, json.JSONDecodeError) as error:
            errors.append(f"{path.relative_to(project)}: {error}")
    assert not errors, "\n".join(errors)


def test_answers_file_round_trips(
    project: Path, combo: Combo, template: Template, template_dir: Path
) -> None:
    """The answers file records exactly the answers given, so `copier update` can replay them.

    `_commit` only exists for git-tracked templates: test_update checks it.
    """
    answers_file = project / template.config.get("answers_file", ".copier-answers.yml")
    stray = [p for p in project_files(project) if p.name == answers_file.name and p != answers_file]
    assert not stray, f"answers files below the root (a project rendered into templates/?): {stray}"
    recorded = yaml.safe_load(answers_file.read_text())
    assert recorded["_src_path"] == str(template_dir)
    assert {k: v for k, v in recorded.items() if not k.startswith("_")} == combo.answers_dict


def _dependency_names(project: Path) -> set[str]:
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    project_table = pyproject.get("project", {})
    # Runtime dependencies and the orchestration extra (not the dev tools).
    extras = project_table.get("optional-dependencies", {}).get("orchestration", [])
    specs = [*project_table.get("dependencies", []), *extras]
    names = (re.match(r"[A-Za-z0-9._-]+", spec) for spec in specs)
    return {re.sub(r"[-_.]+", "-", m.group(0)).lower() for m in names if m}


def test_only_chosen_options_are_rendered(project: Path, combo: Combo) -> None:
    """Each option's files and dependencies appear exactly when it is chosen, as its
    options/<axis>/<value>/option.yml declares them (`owns`, `dependencies`, and a model
    framework's `edge` dependencies per edge runtime)."""
    answers = combo.answers_dict
    files = [p.relative_to(project).as_posix() for p in project_files(project)]
    dependencies = _dependency_names(project)
    options = declarations()
    chosen = [o for o in options if o.chosen(answers)]
    runtime = answers.get("edge_runtime", "none")
    exporting = {name for o in chosen for name in o.edge_dependency_names(runtime)}
    needed = {name for o in chosen for name in o.dependency_names} | exporting
    left_out = excluded(options, answers)
    # A chosen option's file under a folder another option's absence leaves out (serving's
    # deploy/k8s/base/deployment.yaml without a Kubernetes target, the AWS deploy workflow
    # under .github/ with another CI provider) is rightly not rendered.
    shadowed = matcher(sorted(left_out))
    problems = []
    for option in options:
        where = f"{option.axis}={option.value}"
        for pattern in option.owns:
            hits = [f for f in files if matcher([pattern]).match_file(f)]
            if option in chosen and not hits and not shadowed.match_file(pattern):
                problems.append(f"{where}: nothing matches {pattern}")
            if pattern in left_out:
                problems += [f"{where} not chosen: {hit} rendered" for hit in hits]
        for name in option.dependency_names:
            if option in chosen and name not in dependencies:
                problems.append(f"{where}: {name} not a dependency")
            if name not in needed and name in dependencies:
                problems.append(f"{where} not chosen: {name} is a dependency")
        for other in option.facts.get("edge", {}):
            for name in option.edge_dependency_names(other):
                if option in chosen and other == runtime and name not in dependencies:
                    problems.append(f"{where}, edge_runtime={other}: {name} not a dependency")
                if name not in needed and name in dependencies:
                    problems.append(f"{where}, edge_runtime={other} not chosen: {name} rendered")
    assert not problems, "\n".join(problems)


def _dockerfiles(project: Path) -> list[Path]:
    names = ("Dockerfile", "Dockerfile.*", "*.dockerfile")
    return [p for p in project_files(project) if any(p.match(name) for name in names)]


def test_dockerfiles_pass_hadolint(project: Path, verdicts: Verdicts) -> None:
    """Dockerfiles have no hadolint warning or error."""
    argv = (_require("hadolint"), "--no-color", "--failure-threshold", "warning")
    results = verdicts.problems(Validator("hadolint", argv, _dockerfiles), project)
    assert results, "no Dockerfile rendered"
    assert not _failures(results), _failures(results)


# (builtin schema, extra arguments, which files) per CI provider.
CI_SCHEMAS: list[tuple[str, tuple[str, ...], Callable[[Path], list[Path]]]] = [
    ("vendor.github-workflows", (), lambda p: sorted((p / ".github" / "workflows").glob("*.y*ml"))),
    ("vendor.gitlab-ci", ("--data-transform", "gitlab-ci"),
     lambda p: [f for f in [p / ".gitlab-ci.yml", p / "deploy/aws/gitlab-ci.yml"] if f.exists()]),
]  # fmt: skip


def test_ci_files_match_their_schema(project: Path, verdicts: Verdicts) -> None:
    """CI definitions are valid for their provider (check-jsonschema's vendored schemas)."""
    results: dict[str, str] = {}
    for schema, extra, select in CI_SCHEMAS:
        options = ("--color", "never", "--builtin-schema", schema, *extra)
        argv = (_require("check-jsonschema"), *options)
        results |= verdicts.problems(Validator(f"check-jsonschema-{schema}", argv, select), project)
    if not results and (project / "Jenkinsfile").exists():
        pytest.skip("Jenkins has no schema: test_jenkinsfile_* check the Jenkinsfile")
    assert results, "no CI configuration rendered"
    assert not _failures(results), _failures(results)


# The CI pipeline, and the AWS deploy pipeline (a second job's script path).
JENKINSFILES = ("Jenkinsfile", "deploy/aws/Jenkinsfile")


@pytest.fixture(params=JENKINSFILES)
def jenkinsfile_text(project: Path, request: pytest.FixtureRequest) -> str:
    path = project / request.param
    if not path.exists():
        pytest.skip(f"this combination renders no {request.param}")
    return path.read_text()


def test_jenkinsfile_is_a_declarative_pipeline(jenkinsfile_text: str) -> None:
    """The declarative skeleton (tests/jenkinsfile.py): Jenkins's own linter needs a server."""
    problems = jenkinsfile.problems(jenkinsfile_text)
    assert not problems, "\n".join(problems)


def test_jenkinsfile_is_groovy(jenkinsfile_text: str) -> None:
    """The Jenkinsfile parses as Groovy (tree-sitter's Groovy grammar: no error node)."""
    text = jenkinsfile_text
    why = "`tree-sitter-groovy` is not installed: add it to the test group of pyproject.toml"
    tree_sitter = pytest.importorskip("tree_sitter", reason=why)
    groovy = pytest.importorskip("tree_sitter_groovy", reason=why)
    tree = tree_sitter.Parser(tree_sitter.Language(groovy.language())).parse(text.encode())
    errors, todo = [], [tree.root_node]
    while todo:
        node = todo.pop()
        if node.is_error or node.is_missing:
            errors.append(f"line {node.start_point[0] + 1}: {node.type} {node.text[:60]!r}")
        todo += node.children
    assert tree.root_node.children, "tree-sitter read nothing"
    assert not errors, "\n".join(sorted(errors))


K8S = Path("deploy", "k8s")


def _overlays(project: Path) -> list[Path]:
    """deploy/k8s/overlays/<cloud>/: the folders `kubectl kustomize` builds (the base alone
    says nothing about storage or where the image comes from)."""
    return sorted(k.parent for k in (project / K8S / "overlays").glob("*/kustomization.yaml"))


def _k8s_manifests(project: Path) -> list[Path]:
    """Resources of the base and of every overlay (not kustomization files, not the patches
    they apply), and the orchestrator's data volume."""
    files = sorted((project / K8S).rglob("*.y*ml"))
    kustomizations = [f for f in files if f.stem == "kustomization"]
    patches = set()
    for kustomization in kustomizations:
        spec = yaml.safe_load(kustomization.read_text()) or {}
        for entry in [*spec.get("patches", []), *spec.get("patchesStrategicMerge", [])]:
            path = entry.get("path") if isinstance(entry, dict) else entry
            if isinstance(path, str):
                patches.add((kustomization.parent / path).resolve())
    manifests = [f for f in files if f not in kustomizations and f.resolve() not in patches]
    # The orchestrator's data volume (deploy/<orchestrator>/data-pvc.yaml) is a manifest too.
    return manifests + sorted((project / "deploy").glob("*/data-pvc.yaml"))


def _built(project: Path) -> Path:
    """Where test_kustomize_renders_valid_resources writes each overlay's build."""
    return project.with_name(f"{project.name}.kustomized")


def _kustomized(project: Path) -> list[Path]:
    return sorted(_built(project).glob("*.yaml"))


def _needs_k8s(project: Path) -> None:
    if not (project / K8S).is_dir():
        pytest.skip("this combination renders no deploy/k8s")


def _ids(documents: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(doc["kind"], doc["metadata"]["name"]) for doc in documents}


def test_k8s_manifests_validate(project: Path, verdicts: Verdicts) -> None:
    """Each manifest of the base and the overlays is a valid Kubernetes resource, unknown
    fields rejected (--strict)."""
    _needs_k8s(project)
    argv = (_require("kubernetes-validate"), "--strict", "--quiet")
    results = verdicts.problems(Validator("kubernetes-validate", argv, _k8s_manifests), project)
    base = f"{K8S}/base/"
    assert any(f.startswith(base) for f in results), f"{base} holds no manifest"
    assert not _failures(results), _failures(results)


def test_kustomize_renders_valid_resources(project: Path, verdicts: Verdicts) -> None:
    """`kubectl kustomize deploy/k8s/overlays/<cloud>` builds every overlay on the base; what
    each builds validates as well, and holds every manifest of the base and of that overlay
    (a file that no kustomization lists would never be applied)."""
    _needs_k8s(project)
    overlays = _overlays(project)
    assert overlays, f"{K8S} has no overlay: nothing builds the base"
    kubectl = _require("kubectl")
    validate = (_require("kubernetes-validate"), "--strict", "--quiet")
    built_dir = _built(project)
    built_dir.mkdir(exist_ok=True)
    manifests = _k8s_manifests(project)
    problems = []
    for overlay in overlays:
        rel = overlay.relative_to(project).as_posix()
        spec = yaml.safe_load((overlay / "kustomization.yaml").read_text())
        assert "../../base" in spec.get("resources", []), f"{rel} does not build on the base"
        built = subprocess.run(
            [kubectl, "kustomize", rel], cwd=project, capture_output=True, text=True, check=False
        )
        assert built.returncode == 0, f"{rel}: {built.stderr}"
        resources = _ids([doc for doc in yaml.safe_load_all(built.stdout) if doc])
        assert resources, f"kustomize built nothing from {rel}"
        for manifest in manifests:
            if manifest.parent in (overlay, project / K8S / "base"):
                missing = _ids([d for d in yaml.safe_load_all(manifest.read_text()) if d])
                missing -= resources
                problems += [f"{rel} leaves out {kind}/{name} ({manifest.name})"
                             for kind, name in sorted(missing)]  # fmt: skip
        output = built_dir / f"{overlay.name}.yaml"
        output.with_suffix(".tmp").write_text(built.stdout)
        output.with_suffix(".tmp").replace(output)
    assert not problems, "\n".join(problems)
    results = verdicts.problems(Validator("kubernetes-validate", validate, _kustomized), project)
    assert len(results) == len(overlays), results
    assert not _failures(results), _failures(results)
