"""MLflow tracking and model registry, behind a few functions the jobs call.

The default store is a SQLite file in the project (`sqlite:///mlruns.db`) with
artifacts beside it in `mlruns/`: the whole lifecycle works offline, and pointing
MLFLOW_TRACKING_URI at a server is the only change needed to share it.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import mlflow
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from ..logs import adopt
from ..settings import Settings

CHAMPION = "champion"
BUNDLE_ARTIFACT_PATH = "model"


@dataclass(frozen=True)
class ModelVersionRef:
    name: str
    version: str
    run_id: str | None


def configure(settings: Settings) -> MlflowClient:
    """Point MLflow at the configured store and experiment."""
    adopt("mlflow")  # MLflow adds a plain-text handler at import: log as JSON instead
    mlflow.set_tracking_uri(settings.mlflow_tracking_uri)
    mlflow.set_experiment(settings.mlflow_experiment_name)
    return MlflowClient(tracking_uri=settings.mlflow_tracking_uri)


def data_fingerprint(path: Path) -> str:
    """sha256 of the exact bytes a model was trained on."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def git_commit(cwd: Path | None = None) -> str:
    """The code commit of the run, with `-dirty` when there are uncommitted changes."""
    git = shutil.which("git")
    if git is None:
        return "unknown"
    try:
        commit = subprocess.run(
            [git, "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            [git, "status", "--porcelain"], cwd=cwd, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{commit}-dirty" if dirty else commit


def champion(client: MlflowClient, name: str) -> ModelVersionRef | None:
    """The version that holds the champion alias, if any."""
    try:
        version = client.get_model_version_by_alias(name, CHAMPION)
    except MlflowException:
        return None
    return ModelVersionRef(name, str(version.version), version.run_id)


def register(client: MlflowClient, name: str, run_id: str) -> ModelVersionRef:
    """Create a model version from the bundle logged by `run_id`."""
    try:
        client.create_registered_model(name)
    except MlflowException as error:
        if error.error_code != "RESOURCE_ALREADY_EXISTS":
            raise
    source = f"{client.get_run(run_id).info.artifact_uri}/{BUNDLE_ARTIFACT_PATH}"
    version = client.create_model_version(name, source=source, run_id=run_id)
    return ModelVersionRef(name, str(version.version), run_id)


def promote(client: MlflowClient, ref: ModelVersionRef) -> None:
    client.set_registered_model_alias(ref.name, CHAMPION, ref.version)


def download_bundle(uri: str, tracking_uri: str, destination: Path) -> Path:
    """Fetch a bundle from `models:/...` or `runs:/...` into `destination` (the caller's)."""
    mlflow.set_tracking_uri(tracking_uri)
    return Path(mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=str(destination)))


@contextmanager
def downloaded_bundle(uri: str, tracking_uri: str) -> Iterator[Path]:
    """A bundle in a temporary directory that is removed on exit.

    Loading reads every bundle file into memory (the transform's JSON, the model in
    skops, UBJSON or LightGBM text), so the files can go as soon as the Predictor is
    built: a server start never leaves a copy behind, and a restart downloads afresh.
    """
    with tempfile.TemporaryDirectory(prefix="bundle-") as scratch:
        yield download_bundle(uri, tracking_uri, Path(scratch))


def resolve_alias(uri: str, tracking_uri: str) -> ModelVersionRef | None:
    """Version and run behind a `models:/<name>@<alias>` or `models:/<name>/<version>` URI."""
    if not uri.startswith("models:/"):
        return None
    client = MlflowClient(tracking_uri=tracking_uri)
    name, _, rest = uri.removeprefix("models:/").partition("@")
    if rest:
        version = client.get_model_version_by_alias(name, rest)
    else:
        name, _, number = uri.removeprefix("models:/").partition("/")
        version = client.get_model_version(name, number)
    return ModelVersionRef(name, str(version.version), version.run_id)
