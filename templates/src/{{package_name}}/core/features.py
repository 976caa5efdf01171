"""The feature transform, fitted once and applied identically at train and serve time.

Its whole state is a small JSON document saved in the model bundle, so the server
rebuilds exactly the transform the model was trained with: no train/serve skew and
nothing to unpickle.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal, get_origin

import numpy as np
import pandas as pd

from .schemas import FeatureRecord, derive_features

UNKNOWN_CODE = -1


@cache
def categorical_columns() -> tuple[str, ...]:
    """Columns declared as a closed set of strings in the feature record."""
    return tuple(
        name
        for name, info in FeatureRecord.model_fields.items()
        if get_origin(info.annotation) is Literal
    )


@cache
def numeric_columns() -> tuple[str, ...]:
    """Every other declared column; booleans become 0/1."""
    categorical = set(categorical_columns())
    return tuple(name for name in FeatureRecord.model_fields if name not in categorical)


@dataclass
class FeatureTransformer:
    """Categorical codes learned from training data, plus stateless derived features."""

    vocabularies: dict[str, list[str]] = field(default_factory=dict)
    output_columns: list[str] = field(default_factory=list)

    def fit(self, frame: pd.DataFrame) -> FeatureTransformer:
        """Learn each categorical column's vocabulary, sorted for a stable encoding."""
        self.vocabularies = {
            column: sorted(str(value) for value in frame[column].dropna().unique())
            for column in categorical_columns()
        }
        self.output_columns = []
        self.output_columns = list(self.transform(frame).columns)
        return self

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Numeric matrix for the model; unseen categories map to UNKNOWN_CODE.

        Built column by column with numpy: a served request is often one record,
        where pandas' per-operation overhead would dominate the latency.
        """
        columns = {name: frame[name].to_numpy(dtype=np.float64) for name in numeric_columns()}
        for column, vocabulary in self.vocabularies.items():
            codes = {value: float(code) for code, value in enumerate(vocabulary)}
            columns[column] = np.fromiter(
                (codes.get(value, UNKNOWN_CODE) for value in frame[column]),
                dtype=np.float64,
                count=len(frame),
            )
        columns.update(derive_features(frame))
        features = pd.DataFrame(columns, index=frame.index)
        if self.output_columns:
            features = features[self.output_columns]
        return features.replace([np.inf, -np.inf], np.nan)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2, sort_keys=True))

    @classmethod
    def load(cls, path: Path) -> FeatureTransformer:
        state = json.loads(path.read_text())
        return cls(vocabularies=state["vocabularies"], output_columns=state["output_columns"])
