"""The demo data: a deterministic, seeded generator of card transactions with ~1.5 % fraud.

Legitimate spending follows per-category amount distributions, daytime hours and
a card's usual velocity; fraud skews towards card-not-present purchases abroad,
at night, in bursts, at amounts far above the card's average. The same seed always
gives the same rows, so runs are reproducible offline. Once `schemas.py` describes
another table, `load_sample_data` draws rows from that schema instead (`synthetic.py`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from . import synthetic

# Typical amount (log-normal median) per category, in the card currency.
_MEDIAN_AMOUNT = {
    "grocery": 45.0,
    "restaurants": 35.0,
    "fuel": 55.0,
    "retail": 60.0,
    "electronics": 180.0,
    "travel": 320.0,
    "entertainment": 40.0,
    "online_gaming": 25.0,
    "health": 70.0,
    "utilities": 90.0,
}
_CATEGORY_WEIGHTS = np.array([0.22, 0.16, 0.12, 0.14, 0.05, 0.04, 0.08, 0.05, 0.07, 0.07])
_RISKY_CATEGORIES = {"electronics", "travel", "online_gaming"}
FRAUD_RATE = 0.015
REFERENCE_TIME = datetime(2026, 1, 1, tzinfo=UTC)


def load_sample_data(rows: int, seed: int) -> pd.DataFrame:
    """The demo transactions while the schema describes them, else rows of the schema's own."""
    return synthetic.unless_schema_changed(transactions(rows, seed), seed)


def transactions(rows: int, seed: int) -> pd.DataFrame:
    """`rows` labelled transactions over the 30 days before REFERENCE_TIME."""
    rng = np.random.default_rng(seed)
    categories = rng.choice(np.array(list(_MEDIAN_AMOUNT)), size=rows, p=_CATEGORY_WEIGHTS)
    medians = np.array([_MEDIAN_AMOUNT[c] for c in categories])
    avg_amount = np.round(medians * rng.lognormal(0.0, 0.35, rows), 2)
    account_age = rng.gamma(2.0, 400.0, rows).astype(int)
    card_present = rng.random(rows) < 0.7
    country_mismatch = rng.random(rows) < 0.04
    hour = np.clip(rng.normal(14, 4.5, rows).round(), 0, 23).astype(int)
    count_24h = rng.poisson(3.0, rows)
    count_1h = rng.binomial(count_24h, 0.15)

    # Latent fraud risk; the intercept is solved so the base rate is ~FRAUD_RATE.
    risky = np.isin(categories, list(_RISKY_CATEGORIES))
    risk = (
        1.6 * country_mismatch
        + 1.2 * ~card_present
        + 0.9 * risky
        + 0.8 * (account_age < 60)
        + 1.1 * rng.normal(size=rows)
    )
    intercept = np.quantile(risk, 1 - FRAUD_RATE)
    is_fraud = risk > intercept

    # Fraudsters spend more, at night, in bursts.
    n_fraud = int(is_fraud.sum())
    amount = np.round(avg_amount * rng.lognormal(0.0, 0.5, rows), 2)
    amount[is_fraud] = np.round(avg_amount[is_fraud] * rng.lognormal(0.6, 0.8, n_fraud), 2)
    hour[is_fraud] = np.where(
        rng.random(n_fraud) < 0.3, rng.integers(0, 6, n_fraud), hour[is_fraud]
    )
    count_1h[is_fraud] += rng.poisson(1.0, n_fraud)
    count_24h = np.maximum(count_24h, count_1h)

    seconds = rng.integers(0, 30 * 24 * 3600, rows)
    event_time = [REFERENCE_TIME - timedelta(seconds=int(s)) for s in seconds]
    return pd.DataFrame(
        {
            "transaction_id": [f"tx-{seed}-{i:08d}" for i in range(rows)],
            "event_time": pd.to_datetime(event_time, utc=True),
            "amount": np.clip(amount, 0.01, 50_000.0),
            "merchant_category": categories.astype(str),
            "hour": hour.astype("int64"),
            "country_mismatch": country_mismatch,
            "card_present": card_present,
            "txn_count_1h": count_1h.astype("int64"),
            "txn_count_24h": count_24h.astype("int64"),
            "avg_amount_30d": np.clip(avg_amount, 0.0, 50_000.0),
            "account_age_days": account_age.astype("int64"),
            "is_fraud": is_fraud.astype("int64"),
        }
    )
