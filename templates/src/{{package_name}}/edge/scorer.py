"""The exported trees as the Predictor's model: ONNX Runtime behind the Scorer port.

Servers keep the numpy feature transform (tens of microseconds per record) and hand its
matrix to `model.onnx`, the trees alone: scoring one record this way is about ten
times faster than the framework's own predict, whose per-call overhead dominates.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort

# The trees' input: the transform's matrix as float32 (ONNX Runtime's tree operators
# take no float64).
FEATURES_INPUT = "features"


def session(path: Path | bytes, threads: int = 1) -> ort.InferenceSession:
    """A CPU session on one thread by default: servers scale out with processes."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    model = str(path) if isinstance(path, Path) else path
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])


@dataclass(frozen=True)
class OnnxScorer:
    """Scores of the transform's matrix from an ONNX graph of the trees."""

    session: ort.InferenceSession
    output: str
    column: int | None

    def scores(self, features: np.ndarray) -> np.ndarray:
        (raw,) = self.session.run(
            [self.output], {FEATURES_INPUT: features.astype(np.float32, copy=False)}
        )
        values = np.asarray(raw)
        values = values[:, self.column] if self.column is not None else values.reshape(-1)
        return values.astype(np.float64)
