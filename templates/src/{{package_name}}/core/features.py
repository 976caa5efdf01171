"""The feature transform, fitted once and applied identically at train and serve time.

Its whole state is a small JSON document saved in the model bundle, so the server
rebuilds exactly the transform the model was trained with: no train/serve skew and
nothing to unpickle. It works on columns (one numpy array per feature) and returns
the model's float64 matrix, so a served request of one record never builds a pandas
frame: that cost more than the model itself.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .fields import FEATURES
from .schemas import derive_features

# An unseen category's code; a missing value stays NaN, which every model framework
# here handles natively (and apart from "unseen").
UNKNOWN_CODE = -1
# Free text keeps its most frequent values; rarer ones share the unknown code.
MAX_VOCABULARY = 200

# One array per feature: numbers (integers and booleans too) as float64 with NaN where
# missing, strings as objects with None where missing.
Columns = Mapping[str, np.ndarray]


@cache
def categorical_columns() -> tuple[str, ...]:
    """String columns (closed categories and free text), encoded as learned codes."""
    return tuple(name for name, spec in FEATURES.items() if spec.categorical)


@cache
def numeric_columns() -> tuple[str, ...]:
    """Numbers and booleans, passed to the model as they are (booleans as 0/1)."""
    return tuple(name for name, spec in FEATURES.items() if spec.numeric)


def columns_of_frame(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """The feature columns of a frame (the lake's, a split's, a scored file's)."""
    columns = {name: frame[name].to_numpy(dtype=np.float64) for name in numeric_columns()}
    columns |= {name: frame[name].to_numpy(dtype=object) for name in categorical_columns()}
    return columns


def columns_of_records(records: Sequence[Mapping[str, Any]]) -> dict[str, np.ndarray]:
    """The feature columns of validated records (a missing value is None).

    The numbers go through one array call (None becomes NaN) and are handed out as its
    columns: for the one record of a typical request, ~4x faster than one array each.
    """
    numeric = numeric_columns()
    block = np.array(
        [[record.get(name) for name in numeric] for record in records], dtype=np.float64
    ).reshape(len(records), len(numeric))
    columns = dict(zip(numeric, block.T, strict=True))
    for name in categorical_columns():
        values = np.empty(len(records), dtype=object)
        values[:] = [record.get(name) for record in records]
        columns[name] = values
    return columns


@dataclass
class FeatureTransformer:
    """Categorical codes learned from training data, plus stateless derived features."""

    vocabularies: dict[str, list[str]] = field(default_factory=dict)
    output_columns: list[str] = field(default_factory=list)

    def fit(self, frame: pd.DataFrame) -> FeatureTransformer:
        """Learn each categorical column's vocabulary, sorted for a stable encoding."""
        self.vocabularies = {column: _vocabulary(frame[column]) for column in categorical_columns()}
        self.__dict__.pop("codes", None)
        derived = derive_features(columns_of_frame(frame.head(1)))
        self.output_columns = [*numeric_columns(), *self.vocabularies, *derived]
        return self

    @cached_property
    def codes(self) -> dict[str, dict[str, float]]:
        """Each categorical column's value-to-code map, built once per transformer."""
        return {
            column: {value: float(code) for code, value in enumerate(vocabulary)}
            for column, vocabulary in self.vocabularies.items()
        }

    def matrix(self, columns: Columns) -> np.ndarray:
        """The model's float64 input, one row per record in `output_columns` order.

        Unseen categories map to UNKNOWN_CODE, missing values to NaN, and infinities
        (a derived ratio over zero) to NaN as well. Values are rounded to float32 precision.
        """
        encoded = {name: columns[name] for name in numeric_columns()}
        for column, codes in self.codes.items():
            encoded[column] = _encode(columns[column], codes)
        encoded |= derive_features(columns)
        rows = len(next(iter(columns.values())))
        matrix = np.empty((rows, len(self.output_columns)), dtype=np.float64)
        for index, name in enumerate(self.output_columns):  # cheaper than np.column_stack
            matrix[:, index] = encoded[name]
        matrix[np.isinf(matrix)] = np.nan
        # float32 values: what an exported model's tree operators compare, so a model
        # trained and scored on them decides the same in ONNX Runtime.
        return matrix.astype(np.float32).astype(np.float64)

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The matrix of a frame, labelled with `output_columns` and the frame's index."""
        return pd.DataFrame(
            self.matrix(columns_of_frame(frame)), columns=self.output_columns, index=frame.index
        )

    def save(self, path: Path) -> None:
        state = {"vocabularies": self.vocabularies, "output_columns": self.output_columns}
        path.write_text(json.dumps(state, indent=2, sort_keys=True))

    @classmethod
    def load(cls, path: Path) -> FeatureTransformer:
        state = json.loads(path.read_text())
        return cls(vocabularies=state["vocabularies"], output_columns=state["output_columns"])


def _encode(values: Iterable[Any], codes: dict[str, float]) -> np.ndarray:
    """Codes of a categorical column: NaN where missing, UNKNOWN_CODE where unseen."""
    return np.array(
        [np.nan if _missing(value) else codes.get(str(value), UNKNOWN_CODE) for value in values],
        dtype=np.float64,
    )


def _vocabulary(values: pd.Series) -> list[str]:
    """The values a column's codes stand for: its most frequent ones, sorted for stable codes."""
    counts = Counter(str(value) for value in values if not _missing(value))
    return sorted(value for value, _ in counts.most_common(MAX_VOCABULARY))


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))
