"""Test setup of Airflow: a throw-away AIRFLOW_HOME, set before anything imports Airflow.

Airflow reads its configuration once, at import: set later, these would be ignored and
its SQLite metadata database, logs and airflow.cfg would land in ~/airflow.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest


def pytest_configure(config: pytest.Config) -> None:
    """Point Airflow at a fresh temp dir, and dag.test() at this project's dags/ folder."""
    home = Path(tempfile.mkdtemp(prefix="airflow-home-"))
    config.add_cleanup(lambda: shutil.rmtree(home, ignore_errors=True))
    os.environ.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(config.rootpath / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        }
    )
