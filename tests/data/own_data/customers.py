"""A foreign table for tests/test_own_data.py: missing values, categories and free text.

Customer spend to predict (a regression target) from a nullable number, a nullable
whole number, a yes/no flag, a closed category with gaps and a free-text city; string
ids and no time column. Seeded, so every run writes the same file. Run with a
project's Python: `python customers.py out.csv`.
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd

rng = np.random.default_rng(7)
rows = 600
income = rng.gamma(4.0, 12_000.0, rows)
visits = rng.poisson(6, rows).astype(float)
member = rng.random(rows) < 0.4
plan = rng.choice(["basic", "plus", "premium"], rows, p=[0.5, 0.3, 0.2]).astype(object)
city = np.array([f"city-{n:03d}" for n in rng.integers(0, 250, rows)], dtype=object)
spend = 0.004 * income + 9.0 * visits + 40.0 * member + rng.normal(0, 25.0, rows)
spend += np.select([plan == "plus", plan == "premium"], [30.0, 80.0], 0.0)
income[rng.random(rows) < 0.08] = np.nan
visits[rng.random(rows) < 0.05] = np.nan
plan[rng.random(rows) < 0.06] = None
table = pd.DataFrame(
    {
        "customer_id": [f"c-{n:05d}" for n in range(rows)],
        "annual_income": income.round(2),
        "store_visits": visits,
        "is_member": member,
        "plan": plan,
        "city": city,
        "monthly_spend": np.clip(spend, 0, None).round(2),
    }
)
table.to_csv(sys.argv[1], index=False)
