"""The demo data: scikit-learn's diabetes data set (442 patients), shipped inside scikit-learn.

Loaded in its original units (`scaled=False`), with an identifier and a record
time added so it looks like any other table in the lake. scikit-learn codes sex
as 1 and 2; this project records them as "female" and "male". Once `schemas.py`
describes another table, `load_sample_data` draws rows from that schema instead
(`synthetic.py`).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
from sklearn.datasets import load_diabetes

from . import synthetic

REFERENCE_TIME = datetime(2026, 1, 1, tzinfo=UTC)


def load_sample_data(rows: int | None = None, seed: int = 42) -> pd.DataFrame:
    """The demo patients while the schema describes them, else rows of the schema's own."""
    return synthetic.unless_schema_changed(patients(rows, seed), seed)


def patients(rows: int | None = None, seed: int = 42) -> pd.DataFrame:
    """The whole data set, or `rows` of it sampled with `seed`."""
    frame: pd.DataFrame = load_diabetes(as_frame=True, scaled=False).frame
    frame = frame.rename(columns={"target": "progression"})
    frame["sex"] = frame["sex"].map({1.0: "female", 2.0: "male"})
    if rows is not None and rows < len(frame):
        frame = frame.sample(n=rows, random_state=seed)
    frame = frame.reset_index(drop=True)
    frame.insert(0, "patient_id", [f"p-{i:05d}" for i in range(len(frame))])
    frame.insert(1, "recorded_at", pd.Timestamp(REFERENCE_TIME))
    return frame
