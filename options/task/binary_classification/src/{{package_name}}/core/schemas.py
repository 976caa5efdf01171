"""The card transaction: the one place that describes this project's data.

The features (`FeatureRecord`: names, types, bounds, categories, whether a value may
be missing), the target, the identifier and time columns, and the features derived
from them at training and serving time. Everything else follows from this module
(`fields.py` reads it): the lake validation, the feature transform, the API and its
OpenAPI document, the Open Inference Protocol metadata, the gRPC `.proto`, sample
data for a schema of your own, and the tests. `make schema FROM=your.csv TARGET=label`
writes this module for your table; field types are listed in `field_types.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from .field_types import Integer

TASK = "binary_classification"
TARGET = "is_fraud"
# Carried through the lake and into predictions; None when a table has no such column.
ID_COLUMN: str | None = "transaction_id"
TIME_COLUMN: str | None = "event_time"

MerchantCategory = Literal[
    "grocery",
    "restaurants",
    "fuel",
    "retail",
    "electronics",
    "travel",
    "entertainment",
    "online_gaming",
    "health",
    "utilities",
]


# Used only when a bundle carries no threshold of its own.
DEFAULT_THRESHOLD = 0.5
# Buckets of the served score distribution (Prometheus histogram).
OUTPUT_BUCKETS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 0.95, 0.99)


class FeatureRecord(BaseModel):
    """One card transaction as it arrives for scoring."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)

    amount: float = Field(gt=0, le=50_000, description="transaction amount in the card currency")
    merchant_category: MerchantCategory = Field(description="merchant category group")
    hour: Integer = Field(ge=0, le=23, description="local hour of the transaction")
    country_mismatch: bool = Field(description="merchant country differs from the card's")
    card_present: bool = Field(description="chip or contactless, as opposed to card-not-present")
    txn_count_1h: Integer = Field(
        ge=0, le=500, description="transactions on the card in the last hour"
    )
    txn_count_24h: Integer = Field(ge=0, le=5_000, description="transactions in the last 24 hours")
    avg_amount_30d: float = Field(ge=0, le=50_000, description="mean amount over 30 days")
    account_age_days: Integer = Field(ge=0, le=36_500, description="days since the card was issued")


class LabeledRecord(FeatureRecord):
    """A transaction with its outcome, as stored in the lake."""

    is_fraud: int = Field(ge=0, le=1, description="1 when the transaction was confirmed fraud")


class Prediction(BaseModel):
    """The answer for one transaction."""

    score: float = Field(description="estimated probability of fraud")
    is_fraud: bool = Field(description="score at or above the decision threshold")


def derive_features(columns: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Stateless features computed identically at training and serving time.

    `columns` holds each feature as an array: numbers (integers and booleans too) as
    float64, NaN where missing; strings as objects. Return one float array per name.
    """
    return {
        "log_amount": np.log1p(columns["amount"]),
        "amount_to_avg": columns["amount"] / (columns["avg_amount_30d"] + 1.0),
        "is_night": (columns["hour"] < 6).astype(np.float64),
        "velocity_ratio": columns["txn_count_1h"] / (columns["txn_count_24h"] + 1.0),
    }


def to_predictions(scores: np.ndarray, threshold: float | None) -> list[Prediction]:
    """Turn fraud probabilities into answers with the threshold chosen at training."""
    cutoff = decision_threshold(threshold)
    return [Prediction(score=float(s), is_fraud=bool(s >= cutoff)) for s in scores]


def decision_threshold(threshold: float | None) -> float:
    """The bundle's threshold, or DEFAULT_THRESHOLD for a bundle that carries none."""
    return DEFAULT_THRESHOLD if threshold is None else threshold
