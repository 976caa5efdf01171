"""The Predictor: records in, predictions out, the same for every serving adapter.

It holds the fitted feature transform, the model and their metadata; it knows
nothing about HTTP, files or MLflow (loading a bundle lives in `io/bundle.py`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..ports import Scorer
from .features import FeatureTransformer, columns_of_frame, columns_of_records
from .schemas import FeatureRecord, Prediction, to_predictions


@dataclass(frozen=True)
class ModelMetadata:
    """What a client may know about the model that answers it."""

    name: str
    task: str
    framework: str
    features: list[str]
    threshold: float | None
    run_id: str | None = None
    version: str | None = None
    alias: str | None = None
    metrics: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "alias": self.alias,
            "run_id": self.run_id,
            "task": self.task,
            "framework": self.framework,
            "threshold": self.threshold,
            "features": self.features,
            "metrics": self.metrics,
            "feature_schema": FeatureRecord.model_json_schema(),
        }


@dataclass
class Predictor:
    """A fitted transform and model, ready to score; any framework behind the Scorer port.

    The model is the framework's own (core/model.py) or, where exported, its ONNX graph.
    """

    transformer: FeatureTransformer
    model: Scorer
    metadata: ModelMetadata

    def scores(self, frame: pd.DataFrame) -> np.ndarray:
        """Raw model outputs for a frame holding the feature columns."""
        return self.model.scores(self.transformer.matrix(columns_of_frame(frame)))

    def predict(self, records: Sequence[FeatureRecord | Mapping[str, Any]]) -> list[Prediction]:
        """Score validated records (or plain dicts with the same keys), without pandas."""
        rows = [r.model_dump() if isinstance(r, FeatureRecord) else r for r in records]
        scores = self.model.scores(self.transformer.matrix(columns_of_records(rows)))
        return to_predictions(scores, self.metadata.threshold)
