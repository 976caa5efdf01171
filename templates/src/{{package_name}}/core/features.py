"""The feature transform, fitted once and applied identically at train and serve time.

Its whole state is a small JSON document saved in the model bundle, so the server
rebuilds exactly the transform the model was trained with: no train/serve skew and
nothing to unpickle.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from .fields import FEATURES
from .schemas import derive_features

# An unseen category's code; a missing value stays NaN, which every model framework
# here handles natively (and apart from "unseen").
UNKNOWN_CODE = -1
# Free text keeps its most frequent values; rarer ones share the unknown code.
MAX_VOCABULARY = 200


@cache
def categorical_columns() -> tuple[str, ...]:
    """String columns (closed categories and free text), encoded as learned codes."""
    return tuple(name for name, spec in FEATURES.items() if spec.categorical)


@cache
def numeric_columns() -> tuple[str, ...]:
    """Numbers and booleans, passed to the model as they are (booleans as 0/1)."""
    return tuple(name for name, spec in FEATURES.items() if spec.numeric)


@dataclass
class FeatureTransformer:
    """Categorical codes learned from training data, plus stateless derived features."""

    vocabularies: dict[str, list[str]] = field(default_factory=dict)
    output_columns: list[str] = field(default_factory=list)

    def fit(self, frame: pd.DataFrame) -> FeatureTransformer:
        """Learn each categorical column's vocabulary, sorted for a stable encoding."""
        self.vocabularies = {column: _vocabulary(frame[column]) for column in categorical_columns()}
        self.output_columns = []
        self.output_columns = list(self.transform(frame).columns)
        return self

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Numeric matrix for the model; unseen categories map to UNKNOWN_CODE.

        Built column by column with numpy: a served request is often one record,
        where pandas' per-operation overhead would dominate the latency.
        """
        # A missing number (None from a request, NaN from the lake) becomes NaN.
        columns = {name: frame[name].to_numpy(dtype=np.float64) for name in numeric_columns()}
        for column, vocabulary in self.vocabularies.items():
            codes = {value: float(code) for code, value in enumerate(vocabulary)}
            columns[column] = np.fromiter(
                (
                    np.nan if _missing(value) else codes.get(str(value), UNKNOWN_CODE)
                    for value in frame[column]
                ),
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


def _vocabulary(values: pd.Series) -> list[str]:
    """The values a column's codes stand for: its most frequent ones, sorted for stable codes."""
    counts = Counter(str(value) for value in values if not _missing(value))
    return sorted(value for value, _ in counts.most_common(MAX_VOCABULARY))


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))
