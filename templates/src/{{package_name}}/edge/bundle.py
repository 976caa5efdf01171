"""The edge bundle: the registered model as ONNX, checked against the Predictor before it is kept.

Two graphs, both gated on the same rows:

- `pipeline.onnx` takes the raw fields (the feature transform is inside the graph), so a
  device needs that file and `edge/runner.py` (numpy + onnxruntime); `pipeline.ort` is the
  same graph in ONNX Runtime's mobile format, with `required_operators.config` for a
  minimal build that carries only the operators it uses;
- `model.onnx` is the trees alone on the transform's matrix (float32, `features` order in
  the manifest): servers keep the numpy transform and score with it (edge/scorer.py).

`features.json` is the fitted transform; `manifest.json` holds every file's sha256, the
opsets, the inputs, the threshold, the model's metadata and the measured parity.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
import pandas as pd

from ..core.features import FeatureTransformer, columns_of_frame, numeric_columns
from ..core.fields import FEATURES
from ..core.model import Model
from ..core.predictor import ModelMetadata, Predictor
from ..core.schemas import derive_features
from ..io.bundle import FEATURES_FILE, BundleIntegrityError, sha256_of
from . import convert, graph, runner
from .scorer import OnnxScorer, session

MANIFEST = runner.MANIFEST
MODEL_FILE = "model.onnx"
PIPELINE_FILE = "pipeline.onnx"
MOBILE_FILE = "pipeline.ort"
OPERATORS_FILE = "required_operators.config"
FORMAT_VERSION = 1

# The gate. ONNX Runtime's tree operators compare float32 features with float32
# thresholds and add float32 leaf values, where the frameworks use float64: a score
# moves by a few float32 roundings (observed: ~1e-7 for HistGradientBoosting and
# XGBoost probabilities, ~2e-5 for LightGBM's, ~1e-5 on regression targets of scale 3).
# ABSOLUTE + RELATIVE * |score| admits that with a margin of 5x or more and refuses
# any real difference: another model, a wrong column order or a lost category move
# scores by 1e-2 and more.
ABSOLUTE_TOLERANCE = 1e-4
RELATIVE_TOLERANCE = 1e-4
# Rows added to the held-out split so the gate sees every missing field and unseen
# category, whatever the split happens to hold.
PROBE_ROWS = 50
UNSEEN = "\u2400unseen"


class ParityError(RuntimeError):
    """The ONNX graphs do not score like the Predictor: nothing is exported."""


@dataclass(frozen=True)
class Parity:
    """How the exported graphs compare with the Predictor on the gate's rows."""

    rows: int
    rows_with_missing: int
    max_abs_diff: float
    max_abs_diff_pipeline: float
    worst_excess: float  # max of |diff| - tolerance: <= 0 passes
    flips: int
    threshold: float | None

    @property
    def passed(self) -> bool:
        return self.worst_excess <= 0 and self.flips == 0

    def reason(self) -> str:
        if self.passed:
            return "passed"
        return (
            f"max |diff| {max(self.max_abs_diff, self.max_abs_diff_pipeline):.3g} over "
            f"{self.rows} rows (tolerance {ABSOLUTE_TOLERANCE:g} + {RELATIVE_TOLERANCE:g} x "
            f"|score|, exceeded by {self.worst_excess:.3g}); {self.flips} decision flips at "
            f"threshold {self.threshold}"
        )


@dataclass(frozen=True)
class Graphs:
    """The two graphs of one model, before they are gated and written."""

    model: onnx.ModelProto
    pipeline: onnx.ModelProto
    output: str
    column: int | None


def to_graphs(predictor: Predictor) -> Graphs:
    """Convert the Predictor's model; trace the transform in front of it for devices."""
    transformer = predictor.transformer
    model = predictor.model
    if not isinstance(model, Model):
        raise TypeError(f"{type(model).__name__} is not this project's model: nothing to export")
    trees, output, column = convert.to_onnx(model, len(transformer.output_columns))
    full = graph.pipeline(
        trees,
        (output, column),
        list(numeric_columns()),
        transformer.vocabularies,
        transformer.output_columns,
        derive_features,
    )
    return Graphs(model=trees, pipeline=full, output=output, column=column)


def gate_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The held-out rows plus probes: each nullable field missing, each string field unseen."""
    base = frame[list(FEATURES)].head(PROBE_ROWS)
    probes = [frame[list(FEATURES)]]
    for name, spec in FEATURES.items():
        if spec.nullable:
            probes.append(base.assign(**{name: None}))
        if spec.categorical:
            probes.append(base.assign(**{name: UNSEEN}))
    return pd.concat(probes, ignore_index=True)


def records_of(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as records with None where missing (what the device runner is fed)."""
    rows: list[dict[str, Any]] = frame.astype(object).where(frame.notna(), None).to_dict("records")
    return rows


def check_parity(predictor: Predictor, graphs: Graphs, frame: pd.DataFrame) -> Parity:
    """Both graphs against the Predictor on `frame` (gate_frame of the held-out split)."""
    native = predictor.scores(frame)
    matrix = predictor.transformer.matrix(columns_of_frame(frame))
    trees = OnnxScorer(
        session(graphs.model.SerializeToString()), graphs.output, graphs.column
    ).scores(matrix)
    device = runner.EdgeModel.from_session(
        session(graphs.pipeline.SerializeToString()), _inputs(predictor.transformer), None
    ).scores(records_of(frame))
    allowed = ABSOLUTE_TOLERANCE + RELATIVE_TOLERANCE * np.abs(native)
    excess = max(float(np.max(np.abs(s - native) - allowed)) for s in (trees, device))
    threshold = predictor.metadata.threshold
    flips = 0
    if threshold is not None:
        decided = native >= threshold
        flips = int(
            np.sum((trees >= threshold) != decided) + np.sum((device >= threshold) != decided)
        )
    return Parity(
        rows=len(frame),
        rows_with_missing=int(frame.isna().any(axis=1).sum()),
        max_abs_diff=float(np.max(np.abs(trees - native))),
        max_abs_diff_pipeline=float(np.max(np.abs(device - native))),
        worst_excess=excess,
        flips=flips,
        threshold=threshold,
    )


def _inputs(transformer: FeatureTransformer) -> dict[str, str]:
    """The pipeline graph's inputs in order: numbers, then strings (graph.pipeline's order)."""
    inputs = dict.fromkeys(numeric_columns(), "number")
    return inputs | dict.fromkeys(transformer.vocabularies, "text")


def write(directory: Path, predictor: Predictor, graphs: Graphs, parity: Parity) -> Path:
    """Write the bundle into a fresh `directory` whole or not at all; returns the manifest."""
    if not parity.passed:
        raise ParityError(f"the ONNX export does not score like the model: {parity.reason()}")
    directory.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=directory.parent, prefix=".edge-") as scratch:
        staging = Path(scratch) / "bundle"
        staging.mkdir()
        onnx.save(graphs.model, staging / MODEL_FILE)
        onnx.save(graphs.pipeline, staging / PIPELINE_FILE)
        _to_mobile(staging)
        predictor.transformer.save(staging / FEATURES_FILE)
        manifest = {
            "format_version": FORMAT_VERSION,
            "files": {p.name: sha256_of(p) for p in sorted(staging.iterdir())},
            "model_file": MODEL_FILE,
            "pipeline_file": PIPELINE_FILE,
            "mobile_file": MOBILE_FILE,
            "inputs": _inputs(predictor.transformer),
            "features": predictor.transformer.output_columns,
            "output": {"name": graphs.output, "column": graphs.column},
            "opsets": {o.domain or "ai.onnx": o.version for o in graphs.pipeline.opset_import},
            "threshold": predictor.metadata.threshold,
            "metadata": asdict(predictor.metadata),
            "parity": asdict(parity),
            "onnxruntime": ort.__version__,
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
        old = Path(scratch) / "old"
        if directory.exists():
            directory.rename(old)  # removed with the scratch directory
        staging.rename(directory)
    return directory / MANIFEST


def _to_mobile(directory: Path) -> None:
    """pipeline.ort and the operators a minimal ONNX Runtime build needs for it."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "onnxruntime.tools.convert_onnx_models_to_ort",
            "--output_dir",
            str(directory / "ort"),
            str(directory / PIPELINE_FILE),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"ONNX Runtime's ORT conversion failed:\n{done.stdout}{done.stderr}")
    converted = directory / "ort"
    (converted / MOBILE_FILE).rename(directory / MOBILE_FILE)
    next(converted.glob("*.config")).rename(directory / OPERATORS_FILE)
    for leftover in converted.iterdir():
        leftover.unlink()
    converted.rmdir()


def load_predictor(directory: Path, **overrides: Any) -> Predictor:
    """A Predictor that scores with the bundle's `model.onnx` (verified first)."""
    try:
        manifest = runner.verify(directory)
    except runner.EdgeBundleError as error:
        raise BundleIntegrityError(str(error)) from error
    if manifest.get("format_version") != FORMAT_VERSION or "output" not in manifest:
        raise BundleIntegrityError(
            f"{directory} is not an edge bundle (`make export` writes one to artifacts/edge)"
        )
    metadata = ModelMetadata(**{**manifest["metadata"], **overrides})
    transformer = FeatureTransformer.load(directory / FEATURES_FILE)
    output = manifest["output"]
    scorer = OnnxScorer(session(directory / MODEL_FILE), output["name"], output["column"])
    return Predictor(transformer=transformer, model=scorer, metadata=metadata)
