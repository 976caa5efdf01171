"""Rendering, tool lookup and result caches shared by the template's tests.

Everything here is safe to call from several pytest-xdist workers at once: work that two
workers could both start (rendering a combination, validating a file, building a venv)
is guarded by a file lock and recorded on disk, so the second worker reuses the first's.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import copier
from filelock import FileLock

from tests.combos import TEMPLATE_ROOT, Combo, Template, load

IGNORED_DIRS = {".git", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache", ".venv"}


def cache_root() -> Path:
    """Where venvs and validator verdicts survive between runs ($COPIER_MLOPS_CACHE)."""
    default = Path.home() / ".cache" / "copier-mlops"
    return Path(os.environ.get("COPIER_MLOPS_CACHE", default))


def tool(name: str) -> str | None:
    """A command from this interpreter's venv first (wheels ship binaries there), then PATH."""
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else shutil.which(name)


def copy_template(dst: Path, template: Template | None = None) -> Path:
    """Copy copier.yml, the `_subdirectory`, options/ and hooks/ (or a root-only template).

    Copier clones a git-tracked template on every copy; a plain folder renders in place,
    which is what makes the full matrix affordable.
    """
    template = template or load()
    ignore = shutil.ignore_patterns(*IGNORED_DIRS)
    subdirectory = template.config.get("subdirectory", ".")
    if Path(subdirectory) == Path():
        return Path(shutil.copytree(template.root, dst, ignore=ignore, dirs_exist_ok=True))
    dst.mkdir(parents=True, exist_ok=True)
    for name in ("copier.yml", "copier.yaml"):
        if (template.root / name).exists():
            shutil.copy2(template.root / name, dst / name)
    for part in (subdirectory, "options", "hooks"):
        if (template.root / part).is_dir():
            shutil.copytree(template.root / part, dst / part, ignore=ignore, dirs_exist_ok=True)
    return dst


def render(template_dir: Path, combo: Combo, dst: Path, **kwargs: object) -> Path:
    """Generate one project in-process, answering `combo.data` and defaults elsewhere."""
    copier.run_copy(
        str(template_dir),
        str(dst),
        data=combo.data_dict,
        defaults=True,
        unsafe=True,
        quiet=True,
        **kwargs,  # type: ignore[arg-type]
    )
    return dst


def project_files(project: Path) -> Iterator[Path]:
    """Every file of a generated project, without VCS and tool caches."""
    for path in sorted(project.rglob("*")):
        rel = path.relative_to(project)
        if path.is_file() and not IGNORED_DIRS.intersection(rel.parts):
            yield path


class Renders:
    """Rendered projects of one test session, shared by all xdist workers on disk."""

    def __init__(self, root: Path, template_dir: Path) -> None:
        self.root = root
        self.template_dir = template_dir
        root.mkdir(parents=True, exist_ok=True)

    def get(self, combo: Combo) -> Path:
        dst = self.root / combo.id
        done = self.root / f"{combo.id}.ok"  # ids hold dots: no with_suffix()
        with FileLock(self.root / f"{combo.id}.lock"):
            if not done.exists():
                shutil.rmtree(dst, ignore_errors=True)
                render(self.template_dir, combo, dst)
                done.touch()
        return dst

    def finished(self) -> list[Path]:
        """Projects completely rendered so far, by any worker."""
        return sorted(ok.with_name(ok.name.removesuffix(".ok")) for ok in self.root.glob("*.ok"))


@dataclass(frozen=True)
class Validator:
    """An external file checker: `argv + files`, exit code 0 means every file passed."""

    name: str
    argv: tuple[str, ...]
    select: Callable[[Path], list[Path]]


class Verdicts:
    """Validator results cached by tool version, arguments and file content.

    A cache miss for one project validates, in a single call, every not-yet-checked file
    of all projects rendered so far, so the whole matrix costs a handful of tool runs.
    Only when a batch fails is each of its files re-run alone, to say which one failed.
    """

    def __init__(self, cache: Path, renders: Renders) -> None:
        self.cache = cache
        self.renders = renders
        self._versions: dict[str, str] = {}
        cache.mkdir(parents=True, exist_ok=True)

    def problems(self, validator: Validator, project: Path) -> dict[str, str]:
        """Map each selected file (relative to `project`) to its problems ("" = clean)."""
        files = validator.select(project)
        if any(not self._entry(validator, f).exists() for f in files):
            with FileLock(self.cache / f"{validator.name}.lock"):
                self._run(validator, [project, *self.renders.finished()])
        return {_label(f, project): self._entry(validator, f).read_text() for f in files}

    def _version(self, validator: Validator) -> str:
        if validator.name not in self._versions:
            out = subprocess.run(
                [validator.argv[0], "--version"], capture_output=True, text=True, check=False
            )
            self._versions[validator.name] = out.stdout + out.stderr
        return self._versions[validator.name]

    def _entry(self, validator: Validator, file: Path) -> Path:
        key = hashlib.sha256()
        for part in (self._version(validator), *validator.argv, file.suffix):
            key.update(part.encode() + b"\0")
        key.update(file.read_bytes())
        return self.cache / f"{validator.name}-{key.hexdigest()[:32]}.txt"

    def _run(self, validator: Validator, projects: Iterable[Path]) -> None:
        todo: dict[Path, tuple[Path, Path]] = {}  # cache entry -> (file, its project)
        for project in projects:
            for file in validator.select(project):
                entry = self._entry(validator, file)
                if not entry.exists():
                    todo.setdefault(entry, (file, project))
        if not todo:
            return
        # A neutral working directory: no project's tool config applies to the batch.
        batch = _run([*validator.argv, *(str(f) for f, _ in todo.values())], cwd=self.cache)
        for entry, (file, project) in todo.items():
            message = ""
            if batch.returncode:
                alone = _run([*validator.argv, str(file)], cwd=self.cache)
                message = _output(alone) if alone.returncode else ""
            tmp = entry.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(message.replace(f"{project}/", ""))
            tmp.replace(entry)


def _label(file: Path, project: Path) -> str:
    return str(file.relative_to(project)) if file.is_relative_to(project) else file.name


def _run(argv: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False, timeout=600)


def _output(result: subprocess.CompletedProcess[str]) -> str:
    return (result.stdout + result.stderr).strip() or f"exit code {result.returncode}"


def find_python(version: str) -> str | None:
    """An interpreter of `version` (e.g. "3.12"), from PATH, pyenv or uv, verified by running it."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates = [
        shutil.which(f"python{version}"),
        *(str(p) for p in sorted(pyenv.glob(f"{version}*/bin/python{version}"))),
    ]
    uv = tool("uv")
    if uv:
        found = _run([uv, "python", "find", "--no-python-downloads", version])
        candidates.append(found.stdout.strip() if found.returncode == 0 else None)
    # The interpreter's own path, not a pyenv shim: uv takes a venv made from a shim's target
    # for another interpreter than the shim, and would rebuild it on every `uv sync`.
    probe = "import sys; print('%d.%d' % sys.version_info[:2], sys.executable)"
    for candidate in filter(None, candidates):
        found, _, executable = _run([candidate, "-c", probe]).stdout.strip().partition(" ")
        if found == version:
            return executable
    return None


def pin_date() -> str:
    """The date the suite resolves at: the template pyproject's `[tool.uv] exclude-newer`.

    One date pins the template's own lock and every lock the generated tiers write, so two
    runs of the suite install the same versions.
    """
    pyproject = tomllib.loads((TEMPLATE_ROOT / "pyproject.toml").read_text())
    return str(pyproject["tool"]["uv"]["exclude-newer"])


def uv_pin() -> str | None:
    """The pin for generated projects: none in `--latest` runs (COPIER_MLOPS_LATEST=1)."""
    return None if os.environ.get("COPIER_MLOPS_LATEST") == "1" else pin_date()


def uv_env(pin: str | None = None) -> dict[str, str]:
    """The environment for uv in a generated project: the pin, or none in `--latest` runs."""
    env = {k: v for k, v in os.environ.items() if k not in ("UV_EXCLUDE_NEWER", "VIRTUAL_ENV")}
    pin = pin or uv_pin()
    return env | ({"UV_EXCLUDE_NEWER": pin} if pin else {})


def venv_path(python: str) -> Path:
    """The venv projects on `python` are installed into: one per interpreter and xdist worker.

    Each project's own `make install` (uv sync, exact) brings it to that project's lock, so
    it holds exactly what the lock says; from one project to the next only the packages
    that differ change, and the rest (pandas, scikit-learn, MLflow, ...) keep the bytecode
    the earlier projects' steps wrote. A venv per project compiled all of it again: 17 of
    the 54 s of a FastAPI project's first pytest. Hold `<venv>.lock` while installing and
    testing (the own-data tests use the same venvs).
    """
    interpreter = hashlib.sha256(_run([python, "-VV"]).stdout.encode()).hexdigest()[:8]
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return cache_root() / "venvs" / f"{interpreter}-{worker}"


def mypy_cache(venv: Path) -> Path:
    """The mypy cache for projects checked in `venv`: one per Python version and xdist worker.

    Shared by every project and venv a worker checks, one after another: mypy trusts an
    entry whose file moved (another venv, another project) only when its hash matches, so
    the installed packages (pandas, mlflow; Airflow, Prefect, Dagster are large and typed)
    are analysed once per worker, not once per venv (a project's mypy: 30-45 s with its own
    cold cache, 17-28 s shared). Never shared by two processes at once: mypy validates an
    entry before it reads its data, so a concurrent writer of the same module (projects of
    both tasks have a `core.metrics`) could hand it another project's interface.
    """
    found = re.search(r"^version_info = (\d+\.\d+)", (venv / "pyvenv.cfg").read_text(), re.M)
    version = found.group(1) if found else "unknown"
    return cache_root() / "mypy" / version / os.environ.get("PYTEST_XDIST_WORKER", "main")


def run_env(venv: Path) -> dict[str, str]:
    """The environment of a command run in a project's venv, as its Makefile runs it.

    The outer pytest's variables (xdist worker ids, PYTEST_ADDOPTS) stay out, and Python
    may write bytecode even where the machine says not to (PYTHONDONTWRITEBYTECODE, set on
    this image): a module is compiled once per venv, not in every process that imports it.
    """
    env = {k: v for k, v in uv_env().items() if not k.startswith("PYTEST_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env | {"VIRTUAL_ENV": str(venv), "PATH": f"{venv / 'bin'}{os.pathsep}{env['PATH']}"}


def make_install(project: Path, venv: Path, python: str) -> str:
    """`make install` as a user runs it (uv.lock written, then installed from), into `venv`.

    The venv is shared by the projects a worker installs one after another (venv_path):
    hold `<venv>.lock` while installing and testing. Returns uv's output of a second
    `make install`, which must find nothing to do.
    """
    uv = tool("uv")
    assert uv, "uv is needed to install the generated project"
    argv = ["make", "install", f"VENV={venv}", f"PYTHON={python}", f"UV={uv}"]
    # Not byte-compiled here: compiling a venv's every module (22,568 in an Airflow
    # project's) took 53 s, while the steps that run in it, which may write bytecode
    # (run_env), compile only what they import (5,168 for its whole pytest), about 20 s.
    env = uv_env()
    # uv leaves its build locks (uv-*.lock, uv-setuptools-*.lock) in TMPDIR: keep them in
    # the test's own folder, not in the machine's /tmp.
    scratch = project.parent / "install-tmp"
    scratch.mkdir(exist_ok=True)
    env["TMPDIR"] = str(scratch)
    for attempt in ("first", "second"):
        done = subprocess.run(argv, cwd=project, env=env, capture_output=True, text=True)
        assert done.returncode == 0, f"make install ({attempt}) failed:\n{_output(done)}"
    return done.stdout + done.stderr


def resolved_versions(lock: Path) -> dict[str, str]:
    """{package: version} of a uv.lock."""
    packages = tomllib.loads(lock.read_text()).get("package", [])
    return {p["name"]: p.get("version", "?") for p in packages}


def newer_than_pin(project: Path, python: str, pin: str) -> list[str]:
    """What a `--latest` lock of `project` resolves differently from the pinned one."""
    uv = tool("uv")
    assert uv
    with tempfile.TemporaryDirectory() as scratch:
        pinned = Path(scratch)
        shutil.copy2(project / "pyproject.toml", pinned)
        shutil.copy2(project / "README.md", pinned)
        argv = [uv, "lock", "--quiet", "--python", python]
        run_checked(argv, pinned, env=uv_env(pin))
        before = resolved_versions(pinned / "uv.lock")
    after = resolved_versions(project / "uv.lock")
    return [
        f"{name} {before.get(name, 'absent')} -> {version}"
        for name, version in sorted(after.items())
        if before.get(name) != version
    ]


def run_checked(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
    result = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"{' '.join(argv)} failed:\n{_output(result)}"


def assert_refused(template_dir: Path, data: dict[str, object], message: str, dst: Path) -> None:
    """`copier copy` with these answers fails with `message` and writes nothing to `dst`."""
    assert message, "combos.py found no validator message for these answers"
    try:
        copier.run_copy(
            str(template_dir), str(dst), data=data, defaults=True, unsafe=True, quiet=True
        )
    except ValueError as error:
        assert message in str(error), f"refused for another reason: {error}"
    else:
        raise AssertionError(f"copier accepted {data}, expected: {message}")
    assert not dst.exists() or not any(dst.iterdir()), f"refused copy wrote {list(dst.iterdir())}"
