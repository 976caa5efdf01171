"""The card transaction: the single source of the feature schema.

The pydantic model below is what the API accepts, and the pandera schema that
guards the lake is derived from it (see `validation.py`), so training data and
serving requests can never disagree on a column, a type or a range.
"""

from __future__ import annotations

from typing import Literal, get_args

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

TASK = "binary_classification"
TARGET = "is_fraud"
ID_COLUMN = "transaction_id"
TIME_COLUMN = "event_time"

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
MERCHANT_CATEGORIES: tuple[str, ...] = get_args(MerchantCategory)


class FeatureRecord(BaseModel):
    """One card transaction as it arrives for scoring."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)

    amount: float = Field(gt=0, le=50_000, description="transaction amount in the card currency")
    merchant_category: MerchantCategory = Field(description="merchant category group")
    hour: int = Field(ge=0, le=23, description="local hour of the transaction")
    country_mismatch: bool = Field(description="merchant country differs from the card's")
    card_present: bool = Field(description="chip or contactless, as opposed to card-not-present")
    txn_count_1h: int = Field(ge=0, le=500, description="transactions on the card in the last hour")
    txn_count_24h: int = Field(ge=0, le=5_000, description="transactions in the last 24 hours")
    avg_amount_30d: float = Field(ge=0, le=50_000, description="mean amount over 30 days")
    account_age_days: int = Field(ge=0, le=36_500, description="days since the card was issued")


class LabeledRecord(FeatureRecord):
    """A transaction with its outcome, as stored in the lake."""

    is_fraud: int = Field(ge=0, le=1, description="1 when the transaction was confirmed fraud")


class Prediction(BaseModel):
    """The answer for one transaction."""

    score: float = Field(description="estimated probability of fraud")
    is_fraud: bool = Field(description="score at or above the decision threshold")


def derive_features(frame: pd.DataFrame) -> pd.DataFrame:
    """Stateless features computed identically at training and serving time."""
    return pd.DataFrame(
        {
            "log_amount": np.log1p(frame["amount"].to_numpy(dtype=float)),
            "amount_to_avg": frame["amount"].to_numpy(dtype=float)
            / (frame["avg_amount_30d"].to_numpy(dtype=float) + 1.0),
            "is_night": (frame["hour"].to_numpy() < 6).astype(float),
            "velocity_ratio": frame["txn_count_1h"].to_numpy(dtype=float)
            / (frame["txn_count_24h"].to_numpy(dtype=float) + 1.0),
        },
        index=frame.index,
    )


def to_predictions(scores: np.ndarray, threshold: float) -> list[Prediction]:
    """Turn fraud probabilities into answers with the threshold chosen at training."""
    return [Prediction(score=float(s), is_fraud=bool(s >= threshold)) for s in scores]
