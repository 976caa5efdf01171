"""Sample rows for any record schema, drawn from the schema's own constraints.

When `schemas.py` describes a table of your own, the bundled demo data no longer
fits it; these rows do, whatever the schema: every value within its field's
bounds and categories, a share of missing values in nullable fields, an
identifier and a time column where the schema names them, and a target that
depends on the features (a seeded random linear signal plus noise) so a model
has something to learn. They exist for tests and a first `make all`; train on
your data with DATA_SOURCE=file.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from ..core.fields import FEATURES, Field, describe
from ..core.schemas import ID_COLUMN, TARGET, TASK, TIME_COLUMN, LabeledRecord

REFERENCE_TIME = datetime(2026, 1, 1, tzinfo=UTC)
MISSING_SHARE = 0.05  # of a nullable field's values
POSITIVE_SHARE = 0.2  # of a binary target
TEXT_VALUES = 12  # distinct values of a free-text field
UNBOUNDED_SPAN = 100.0  # width of the range drawn from when a side has no bound


def _range(spec: Field) -> tuple[float, float]:
    """A finite range inside the field's bounds (exclusive bounds are kept out)."""
    low, high = spec.minimum, spec.maximum
    if low is None and high is None:
        low, high = 0.0, UNBOUNDED_SPAN
    elif low is None:
        assert high is not None
        low = high - UNBOUNDED_SPAN
    elif high is None:
        high = low + UNBOUNDED_SPAN
    span = high - low
    if spec.exclusive_minimum:
        low += span * 1e-3
    if spec.exclusive_maximum:
        high -= span * 1e-3
    return low, high


def _column(spec: Field, rows: int, rng: np.random.Generator) -> tuple[pd.Series, np.ndarray]:
    """A column of valid values, and its standardized numeric signal for the target."""
    if spec.kind == "bool":
        values = rng.random(rows) < 0.5
        signal = values.astype(float)
        column = pd.Series(values, dtype="bool")
    elif spec.kind in ("float", "int"):
        low, high = _range(spec)
        if spec.kind == "int":
            numbers = rng.integers(int(np.ceil(low)), int(np.floor(high)) + 1, rows)
            column = pd.Series(numbers, dtype="int64")
        else:
            numbers = np.round(rng.uniform(low, high, rows), 4)
            column = pd.Series(numbers, dtype="float64")
        signal = numbers.astype(float)
    else:
        choices = spec.categories or tuple(f"{spec.name}-{k}" for k in range(TEXT_VALUES))
        if spec.max_length is not None:
            choices = tuple(choice[: spec.max_length] for choice in choices)
        picks = rng.integers(0, len(choices), rows)
        effects = rng.normal(size=len(choices))
        column = pd.Series(np.array(choices, dtype=object)[picks], dtype=object)
        signal = effects[picks]
    spread = signal.std()
    signal = (signal - signal.mean()) / spread if spread > 0 else np.zeros(rows)
    if spec.nullable:
        missing = rng.random(rows) < MISSING_SHARE
        column = column.astype(object).where(~missing, None)
        if spec.kind in ("float", "int"):
            # A whole-number column with gaps is read back as float with NaN, as from a CSV.
            column = pd.to_numeric(column, errors="coerce")
        signal = np.where(missing, 0.0, signal)
    return column, signal


def _target(signal: np.ndarray, rng: np.random.Generator) -> pd.Series:
    """The target the schema declares: a share of positives, or numbers within its bounds."""
    score = signal + rng.normal(scale=0.5, size=len(signal))
    if TASK == "binary_classification":
        cutoff = np.quantile(score, 1 - POSITIVE_SHARE)
        return pd.Series((score > cutoff).astype("int64"))
    low, high = _range(describe(LabeledRecord)[TARGET])
    scaled = (score - score.min()) / max(float(np.ptp(score)), 1e-12)
    return pd.Series(low + scaled * (high - low), dtype="float64")


def generate(rows: int, seed: int) -> pd.DataFrame:
    """`rows` labelled rows that validate against the schema; the same seed, the same rows."""
    rng = np.random.default_rng(seed)
    columns: dict[str, pd.Series] = {}
    weights = rng.normal(size=len(FEATURES))
    signal = np.zeros(rows)
    for weight, spec in zip(weights, FEATURES.values(), strict=True):
        columns[spec.name], part = _column(spec, rows, rng)
        signal += weight * part
    frame = pd.DataFrame(columns)
    frame[TARGET] = _target(signal / np.sqrt(len(FEATURES)), rng)
    if TIME_COLUMN is not None:
        seconds = rng.integers(0, 30 * 24 * 3600, rows)
        times = [REFERENCE_TIME - timedelta(seconds=int(s)) for s in seconds]
        frame.insert(0, TIME_COLUMN, pd.to_datetime(times, utc=True))
    if ID_COLUMN is not None:
        frame.insert(0, ID_COLUMN, [f"row-{seed}-{i:08d}" for i in range(rows)])
    return frame


def unless_schema_changed(demo: pd.DataFrame, seed: int) -> pd.DataFrame:
    """`demo` while the schema still describes its columns, else as many rows drawn from it."""
    if set(demo.columns) == {ID_COLUMN, TIME_COLUMN, *FEATURES, TARGET}:
        return demo
    return generate(len(demo), seed)
