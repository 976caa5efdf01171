"""A foreign table for tests/test_own_data.py, all numeric: scikit-learn's breast cancer data.

Eight of its measurements (names made snake_case), an integer id as most CSVs have,
a timestamp and the 0/1 diagnosis as `label`. Run with a project's Python:
`python breast_cancer.py out.csv`.
"""

from __future__ import annotations

import sys

import pandas as pd
from sklearn.datasets import load_breast_cancer

frame = load_breast_cancer(as_frame=True).frame
features = [str(name) for name in frame.columns[:8]]
table = frame[features].rename(columns=lambda name: name.replace(" ", "_"))
table.insert(0, "id", range(842_000, 842_000 + len(table)))
table.insert(1, "measured_at", pd.date_range("2025-01-01", periods=len(table), freq="h", tz="UTC"))
table["label"] = frame["target"].astype(int)
table.to_csv(sys.argv[1], index=False)
