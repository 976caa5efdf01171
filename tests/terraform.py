"""Terraform offline: find the binary and a provider mirror, and cache verdicts per directory.

Only `hashicorp/aws` is installable here, from a filesystem mirror the machine keeps
outside Terraform's default search path. The mirror comes from the `TF_PLUGIN_MIRROR`
setting, else from Terraform's own implied mirror folders, else from a bounded search of
the usual install prefixes; whatever is found is exported as `TF_PLUGIN_MIRROR`, which the
generated projects' own tests read too. Nothing here names the machine's folder.
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import subprocess
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from filelock import FileLock

PROVIDER = Path("registry.terraform.io", "hashicorp", "aws")
# Searched when no setting names a mirror: Terraform's implied local mirrors (its CLI docs,
# "Implied Local Mirror Directories"), then the prefixes where images install extra tools.
IMPLIED = ("~/.terraform.d/plugins", "~/.local/share/terraform/plugins",
           "/usr/local/share/terraform/plugins", "/usr/share/terraform/plugins")  # fmt: skip
PREFIXES = ("/opt", "/usr/local", "/srv")
SEARCH_DEPTH = 3
ENV = {"CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1", "TF_INPUT": "0"}


def binary() -> str | None:
    return shutil.which("terraform")


def _platform() -> str:
    machine = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
    return f"{platform.system().lower()}_{machine}"


def _holds_provider(root: Path) -> bool:
    return any((root / PROVIDER).glob(f"*/{_platform()}/terraform-provider-aws*"))


def _search(prefix: Path) -> Iterator[Path]:
    """Folders at most SEARCH_DEPTH below `prefix` that hold registry.terraform.io/."""
    todo = [(prefix, 0)]
    while todo:
        folder, depth = todo.pop()
        if (folder / PROVIDER.parts[0]).is_dir():
            yield folder
        if depth < SEARCH_DEPTH:
            try:
                children = [p for p in folder.iterdir() if p.is_dir() and not p.is_symlink()]
            except OSError:
                continue
            todo += [(child, depth + 1) for child in children]


def find_mirror() -> Path | None:
    """A folder holding hashicorp/aws for this platform, as `terraform init -plugin-dir` takes."""
    setting = os.environ.get("TF_PLUGIN_MIRROR")
    if setting:
        return Path(setting) if _holds_provider(Path(setting)) else None
    implied = (Path(p).expanduser() for p in IMPLIED)
    searched = (found for prefix in PREFIXES for found in _search(Path(prefix)))
    for candidate in (*implied, *searched):
        if _holds_provider(candidate):
            return candidate
    return None


def skip_reason() -> str:
    """Why Terraform cannot run here ("" when it can)."""
    if binary() is None:
        return "terraform is not on PATH (https://developer.hashicorp.com/terraform/install)"
    if find_mirror() is None:
        where = os.environ.get("TF_PLUGIN_MIRROR") or ", ".join((*IMPLIED, *PREFIXES))
        return f"no hashicorp/aws provider mirror found (looked in {where}; set TF_PLUGIN_MIRROR)"
    return ""


def env() -> dict[str, str]:
    return {**os.environ, **ENV}


def digest(root: Path, files: Iterable[Path], *salt: str) -> str:
    key = hashlib.sha256("\0".join(salt).encode())
    for file in sorted(files):
        key.update(file.relative_to(root).as_posix().encode() + b"\0" + file.read_bytes())
    return key.hexdigest()[:32]


def module_files(root: Path) -> list[Path]:
    """The files `terraform validate` reads: every .tf and .tf.json, modules included."""
    return [p for p in root.rglob("*") if p.is_file() and p.name.endswith((".tf", ".tf.json"))]


def every_file(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and ".terraform" not in p.parts]


def cached(cache: Path, name: str, key: str, check: Callable[[], str]) -> str:
    """`check()`'s problems ("" = clean), computed once per key across workers and runs."""
    entry = cache / f"{name}-{key}.txt"
    with FileLock(cache / f"{name}-{key}.lock"):
        if not entry.exists():
            tmp = entry.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(check())
            tmp.replace(entry)
    return entry.read_text()


def run(
    argv: list[str], cwd: Path, timeout: int = 300, **extra: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv,
        cwd=cwd,
        env={**env(), **extra},
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )
