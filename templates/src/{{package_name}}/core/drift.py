"""Data drift between the champion's training reference and a window of served records.

Evidently compares each feature and the model's output, every column with a distance
whose threshold reads the same way for all of them (a normed Wasserstein distance for
numbers, Jensen-Shannon for booleans and categories): a column drifted when its distance
reaches the threshold. A window breaches when the share of drifted features reaches
`share` or the output drifted. Free-text fields are left out: their values have no
distribution to compare.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .fields import describe
from .schemas import FeatureRecord, Prediction

os.environ.setdefault("DO_NOT_TRACK", "1")  # Evidently reports usage unless told not to
NUMERIC = "wasserstein"
CATEGORICAL = "jensenshannon"
OUTPUT_PREFIX = "output_"  # logged predictions, apart from a feature named like the target


def output_column(name: str) -> str:
    """The inference log's column for a prediction field."""
    return OUTPUT_PREFIX + name


@dataclass(frozen=True)
class ColumnDrift:
    column: str
    method: str
    distance: float
    threshold: float

    @property
    def drifted(self) -> bool:
        return self.distance >= self.threshold


@dataclass(frozen=True)
class DriftSummary:
    """Per-column distances of one window, and whether they breach."""

    features: list[ColumnDrift]
    output: ColumnDrift
    rows: int
    reference_rows: int
    share_limit: float

    @property
    def drifted_share(self) -> float:
        return sum(c.drifted for c in self.features) / max(1, len(self.features))

    @property
    def breached(self) -> bool:
        return self.drifted_share >= self.share_limit or self.output.drifted

    def as_dict(self) -> dict[str, Any]:
        return {
            "breached": self.breached,
            "drifted_share": self.drifted_share,
            "share_limit": self.share_limit,
            "rows": self.rows,
            "reference_rows": self.reference_rows,
            "output": {**vars(self.output), "drifted": self.output.drifted},
            "features": [{**vars(c), "drifted": c.drifted} for c in self.features],
        }


def output_name() -> str:
    """The model output that drift watches: the first prediction field (score or value)."""
    return output_column(next(iter(Prediction.model_fields)))


def compared_columns() -> tuple[list[str], list[str]]:
    """(numerical, categorical) columns: the schema's features but free text, and the output."""
    fields = describe(FeatureRecord).values()
    numerical = [f.name for f in fields if f.kind in ("float", "int")] + [output_name()]
    categorical = [f.name for f in fields if f.kind in ("bool", "category")]
    return numerical, categorical


def compare(
    reference: pd.DataFrame, current: pd.DataFrame, threshold: float, share: float
) -> tuple[DriftSummary, Any]:
    """The summary and Evidently's snapshot (`save_html`, `json`) of one window."""
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    numerical, categorical = compared_columns()
    columns = numerical + categorical
    definition = DataDefinition(numerical_columns=numerical, categorical_columns=categorical)

    def dataset(frame: pd.DataFrame) -> Any:
        # The same types on both sides, whatever each file's inference made of its columns
        # (a nullable field all missing in one file is `object` there).
        data = frame[columns].copy()
        data[numerical] = data[numerical].apply(pd.to_numeric, errors="coerce")
        data[categorical] = data[categorical].astype("string")  # booleans as categories
        return Dataset.from_pandas(data, data_definition=definition)

    preset = DataDriftPreset(
        columns=columns, num_method=NUMERIC, cat_method=CATEGORICAL, threshold=threshold
    )
    snapshot = Report([preset]).run(dataset(current), dataset(reference))
    drifts = {
        metric["config"]["column"]: ColumnDrift(
            column=metric["config"]["column"],
            method=metric["config"]["method"],
            distance=float(metric["value"]),
            threshold=threshold,
        )
        for metric in snapshot.dict()["metrics"]
        if metric["config"].get("type", "").endswith(":ValueDrift")
    }
    missing = sorted(set(columns) - set(drifts))
    if missing:
        raise RuntimeError(f"Evidently reported no drift for {missing}")
    summary = DriftSummary(
        features=[drifts[c] for c in columns if c != output_name()],
        output=drifts[output_name()],
        rows=len(current),
        reference_rows=len(reference),
        share_limit=share,
    )
    return summary, snapshot
