"""Static checks of the generated Terraform (cloud=aws): format, validate, checkov.

Every AWS combination of the static tier is checked, offline: `terraform init` installs
the AWS provider from the machine's filesystem mirror (tests/terraform.py finds it, or
the tests skip saying why), then `terraform validate`. Verdicts are cached by the content
of what each tool reads: `validate` reads only the .tf files, which are identical for
every serving and CI choice of a deploy target (those facts live in terraform.tfvars), so
the whole tier costs one validate per target. One terraform process takes ~560 MB.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
from pathlib import Path

import pytest
from filelock import FileLock

from tests import terraform
from tests.combos import Combo
from tests.helpers import Renders, cache_root, tool

TERRAFORM = Path("deploy", "aws", "terraform")


@pytest.fixture
def root(combo: Combo, renders: Renders) -> Path:
    """The rendered root module, or a skip for combinations without one."""
    folder = renders.get(combo) / TERRAFORM
    if not folder.is_dir():
        pytest.skip("this combination renders no Terraform (cloud is not aws)")
    return folder


@pytest.fixture(scope="session")
def verdicts() -> Path:
    folder = cache_root() / "checks" / "terraform"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _terraform() -> str:
    if reason := terraform.skip_reason():
        pytest.skip(reason)
    return str(terraform.binary())


@functools.cache
def _version(argv0: str, **extra: str) -> str:
    """A tool's version, part of its verdicts' keys (checkov takes seconds to say it)."""
    return terraform.run([argv0, "--version"], Path.cwd(), **extra).stdout


def test_terraform_is_formatted(root: Path, verdicts: Path) -> None:
    """`terraform fmt -check -recursive`: no file would be rewritten."""
    argv0 = shutil.which("terraform") or pytest.skip("terraform is not on PATH")

    def check() -> str:
        done = terraform.run([argv0, "fmt", "-check", "-recursive", "-diff"], root)
        return "" if done.returncode == 0 else done.stdout + done.stderr

    key = terraform.digest(root, terraform.every_file(root), _version(argv0))
    problems = terraform.cached(verdicts, "fmt", key, check)
    assert not problems, problems


def test_terraform_validates(root: Path, verdicts: Path, tmp_path: Path) -> None:
    """`terraform init` from the provider mirror (no backend), then `terraform validate`."""
    argv0 = _terraform()
    mirror = str(terraform.find_mirror())

    def check() -> str:
        work = tmp_path / "root"
        shutil.copytree(root, work)
        init = terraform.run([argv0, "init", "-backend=false", f"-plugin-dir={mirror}"], work)
        if init.returncode:
            return f"terraform init failed:\n{init.stdout}{init.stderr}"
        done = terraform.run([argv0, "validate", "-json"], work)
        report = json.loads(done.stdout or "{}")
        lines = [
            f"{d['severity']}: {d['summary']} ({d.get('range', {}).get('filename', '')}: "
            f"{d.get('detail', '')})"
            for d in report.get("diagnostics", [])
        ]
        return "" if report.get("valid") and not lines else "\n".join(lines) or done.stderr

    key = terraform.digest(root, terraform.module_files(root), _version(argv0), mirror)
    problems = terraform.cached(verdicts, "validate", key, check)
    assert not problems, problems


def _checkov(argv0: str, roots: list[Path], scratch: Path) -> dict[Path, str]:
    """One checkov process for many root modules (its start-up is most of its time):
    each root's failed checks, found by the path of the file that failed.

    Its HCL parser (lark) writes a grammar cache into TMPDIR and leaves it there: TMPDIR
    is `scratch`, in the verdict cache, so the session leaves nothing in the temp dir."""
    argv = [argv0, "--framework", "terraform", "--skip-download", "--quiet", "--compact"]
    argv += ["--output", "json", *(arg for root in roots for arg in ("--directory", str(root)))]
    done = terraform.run(argv, roots[0].parent, timeout=900, TMPDIR=str(scratch))
    decoder, text, reports = json.JSONDecoder(), done.stdout.strip(), []
    while text:  # one JSON document per --directory, one after the other
        report, end = decoder.raw_decode(text)
        reports += report if isinstance(report, list) else [report]
        text = text[end:].strip()
    if not reports:
        return dict.fromkeys(roots, f"checkov printed no report:\n{done.stderr[-3000:]}")
    problems = dict.fromkeys(roots, "")
    seen = set()
    for report in reports:
        for check in report.get("results", {}).get("failed_checks", []):
            path = Path(check["file_abs_path"])
            line = f"{check['check_id']} {check['check_name']}: {check['resource']} ({path.name})"
            for root in roots:
                if path.is_relative_to(root) and (root, line) not in seen:
                    seen.add((root, line))
                    problems[root] += line + "\n"
    return problems


def test_checkov_passes_the_terraform(root: Path, verdicts: Path, renders: Renders) -> None:
    """checkov's Terraform checks: none failed (each skip is inline, with its reason).

    A miss checks, in one process, every rendered root module not checked yet."""
    argv0 = tool("checkov") or pytest.skip("checkov is not installed: `make test` installs it")
    scratch = verdicts / "checkov-tmp"  # see _checkov
    scratch.mkdir(parents=True, exist_ok=True)
    version = _version(argv0, TMPDIR=str(scratch))

    def entry(folder: Path) -> Path:
        return (
            verdicts
            / f"checkov-{terraform.digest(folder, terraform.every_file(folder), version)}.txt"
        )

    if not entry(root).exists():
        with FileLock(verdicts / "checkov.lock"):
            rendered = (p / TERRAFORM for p in renders.finished())
            todo = {entry(r): r for r in [root, *rendered] if r.is_dir() and not entry(r).exists()}
            if todo:
                found = _checkov(argv0, list(todo.values()), scratch)
                for path, folder in todo.items():
                    tmp = path.with_suffix(f".{os.getpid()}.tmp")
                    tmp.write_text(found[folder])
                    tmp.replace(path)
    problems = entry(root).read_text()
    assert not problems, problems
