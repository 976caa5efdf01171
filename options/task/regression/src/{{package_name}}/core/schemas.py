"""The patient record: the one place that describes this project's data.

The features (`FeatureRecord`: names, types, bounds, categories, whether a value may
be missing), the target, the identifier and time columns, and the features derived
from them at training and serving time. Everything else follows from this module
(`fields.py` reads it): the lake validation, the feature transform, the API and its
OpenAPI document, the Open Inference Protocol metadata, the gRPC `.proto`, sample
data for a schema of your own, and the tests. `make schema FROM=your.csv TARGET=label`
writes this module for your table; field types are listed in `field_types.py`. Units follow
scikit-learn's diabetes data set loaded with `scaled=False`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

TASK = "regression"
TARGET = "progression"
# Carried through the lake and into predictions; None when a table has no such column.
ID_COLUMN: str | None = "patient_id"
TIME_COLUMN: str | None = "recorded_at"

# Buckets of the served prediction distribution (Prometheus histogram).
OUTPUT_BUCKETS = (25.0, 50.0, 75.0, 100.0, 125.0, 150.0, 200.0, 250.0, 300.0, 350.0)


class FeatureRecord(BaseModel):
    """Baseline measurements of one patient."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)

    age: float = Field(ge=0, le=120, description="age in years")
    sex: Literal["female", "male"] = Field(description="sex as recorded at baseline")
    bmi: float = Field(ge=10, le=80, description="body mass index")
    bp: float = Field(ge=40, le=200, description="average blood pressure (mm Hg)")
    s1: float = Field(ge=50, le=400, description="total serum cholesterol (tc)")
    s2: float = Field(ge=20, le=300, description="low-density lipoproteins (ldl)")
    s3: float = Field(ge=10, le=120, description="high-density lipoproteins (hdl)")
    s4: float = Field(ge=1, le=12, description="total cholesterol / HDL (tch)")
    s5: float = Field(ge=2, le=8, description="log of serum triglycerides (ltg)")
    s6: float = Field(ge=40, le=160, description="blood sugar level (glu)")


class LabeledRecord(FeatureRecord):
    """A patient with the measured outcome, as stored in the lake."""

    progression: float = Field(ge=0, description="disease progression one year after baseline")


class Prediction(BaseModel):
    """The answer for one patient."""

    progression: float = Field(description="predicted disease progression one year after baseline")


def derive_features(columns: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Stateless features computed identically at training and serving time.

    `columns` holds each feature as an array: numbers (integers and booleans too) as
    float64, NaN where missing; strings as objects. Return one float array per name.
    """
    return {
        "ldl_hdl_ratio": columns["s2"] / columns["s3"],
        "bmi_bp": columns["bmi"] * columns["bp"],
    }


def to_predictions(scores: np.ndarray, threshold: float | None) -> list[Prediction]:
    """Wrap model outputs; regression has no decision threshold."""
    return [Prediction(progression=float(s)) for s in scores]
