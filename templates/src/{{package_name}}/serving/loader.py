"""Load the served model from MODEL_URI: a registry URI or a local bundle directory."""

from __future__ import annotations

from pathlib import Path

from threadpoolctl import threadpool_limits

from ..core.predictor import Predictor
from ..io.bundle import load_predictor
from ..settings import Settings


def load_served_model(settings: Settings) -> Predictor:
    """`models:/name@alias`, `models:/name/3` and `runs:/id/model` go through MLflow."""
    uri = settings.model_uri
    if not uri.startswith(("models:/", "runs:/")):
        return load_predictor(Path(uri), alias=None, version="local")
    # MLflow is imported only when the registry is used: a bundle-only container
    # starts faster and never needs a tracking server.
    from ..io import registry

    ref = registry.resolve_alias(uri, settings.mlflow_tracking_uri)
    alias = uri.partition("@")[2] or None
    with registry.downloaded_bundle(uri, settings.mlflow_tracking_uri) as bundle:
        return load_predictor(bundle, version=ref.version if ref else None, alias=alias)


def limit_native_threads() -> None:
    """One thread per request: OpenMP/BLAS pools cost more than they save on small batches.

    Tree ensembles start an OpenMP team per call; with one record that start-up is
    most of the latency (about 4x on two cores). Scale out with processes instead.
    """
    threadpool_limits(limits=1)
