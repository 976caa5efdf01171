"""Post-copy task: make the generated project a git repository.

Copier runs tasks three times per `copier update` (old copy, project, new copy),
so this must be idempotent: it only runs `git init` where no repository exists,
and never commits (the user decides what the first commit holds).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def main() -> None:
    if shutil.which("git") is None:
        print("git not found: skipping `git init` (copier update needs a git repository)")
        return
    inside = subprocess.run(
        ["git", "rev-parse", "--is-inside-work-tree"],
        cwd=Path.cwd(),
        capture_output=True,
        text=True,
        check=False,
    )
    if inside.returncode == 0 and inside.stdout.strip() == "true":
        return
    subprocess.run(["git", "init", "--quiet", "--initial-branch=main"], check=True)


if __name__ == "__main__":
    main()
