"""Export: the registered model as an edge bundle, refused unless it scores like the Predictor.

Runs after register, on the same training run: the run's bundle is converted to ONNX,
both graphs are scored against the Predictor on the held-out test split (plus probes
with every nullable field missing and every string field unseen), and only a bundle
that passes the gate is written to EDGE_DIR and logged under the run at `edge/`, so
`runs:/<run id>/edge` (the `edge_bundle` tag of the run's model version) is the edge
bundle of that version. A refusal raises ParityError and writes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import mlflow
import pandas as pd

from ..edge import bundle
from ..io import registry
from ..io.bundle import load_predictor
from ..settings import Settings
from . import state

logger = logging.getLogger(__name__)
ARTIFACT_PATH = "edge"


@dataclass(frozen=True)
class ExportResult:
    directory: str
    uri: str
    parity: bundle.Parity


def run(settings: Settings, run_id: str | None = None) -> ExportResult:
    """Export training run `run_id` (the newest if None)."""
    last = state.load(settings, run_id)
    predictor = load_predictor(Path(last.bundle_dir))
    graphs = bundle.to_graphs(predictor)
    gate = bundle.gate_frame(pd.read_parquet(last.test_path))
    parity = bundle.check_parity(predictor, graphs, gate)
    metrics = {
        "edge_parity_max_abs_diff": parity.max_abs_diff,
        "edge_parity_max_abs_diff_pipeline": parity.max_abs_diff_pipeline,
        "edge_parity_flips": float(parity.flips),
    }
    if not parity.passed:
        logger.error("export refused", extra={"run_id": last.run_id, **metrics})
    manifest = bundle.write(settings.edge_dir, predictor, graphs, parity)  # raises if refused

    client = registry.configure(settings)
    with mlflow.start_run(run_id=last.run_id):
        mlflow.log_metrics(metrics)
        mlflow.log_artifacts(str(manifest.parent), artifact_path=ARTIFACT_PATH)
    uri = f"runs:/{last.run_id}/{ARTIFACT_PATH}"
    for version in client.search_model_versions(f"run_id = '{last.run_id}'"):
        client.set_model_version_tag(version.name, version.version, "edge_bundle", uri)
    logger.info("exported", extra={"run_id": last.run_id, "uri": uri, **metrics})
    return ExportResult(str(manifest.parent), uri, parity)
