"""scikit-learn's histogram gradient boosting behind the project's Model interface.

The fitted estimator is saved with skops and loaded back with an explicit
allow-list of types, so loading a model never runs arbitrary pickled code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import skops.io as sio
from sklearn.ensemble import HistGradientBoostingClassifier

FRAMEWORK = "scikit-learn"
MODEL_FILE = "model.skops"
# The only non-builtin type a fitted histogram gradient boosting model contains.
TRUSTED_TYPES = ["sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"]
DEFAULT_PARAMS: dict[str, Any] = {
    "learning_rate": 0.1,
    "max_iter": 200,
    "max_leaf_nodes": 31,
    "l2_regularization": 1.0,
    "random_state": 42,
}


class UntrustedModelError(RuntimeError):
    """The saved model contains types outside the allow-list."""


class Model:
    """Fit, score, save and load; the rest of the project sees only this."""

    def __init__(self, params: dict[str, Any] | None = None) -> None:
        self.params = {**DEFAULT_PARAMS, **(params or {})}
        # Fraud is rare: weight classes by inverse frequency.
        self._estimator = HistGradientBoostingClassifier(class_weight="balanced", **self.params)

    def fit(self, features: pd.DataFrame, target: np.ndarray) -> Model:
        self._estimator.fit(features.to_numpy(dtype=np.float64), target)
        return self

    def scores(self, features: pd.DataFrame) -> np.ndarray:
        """Probability of the positive class."""
        matrix = features.to_numpy(dtype=np.float64)
        return np.asarray(self._estimator.predict_proba(matrix)[:, 1], dtype=np.float64)

    def save(self, directory: Path) -> Path:
        path = directory / MODEL_FILE
        sio.dump(self._estimator, path)
        return path

    @classmethod
    def load(cls, directory: Path, params: dict[str, Any] | None = None) -> Model:
        path = directory / MODEL_FILE
        untrusted = set(sio.get_untrusted_types(file=path)) - set(TRUSTED_TYPES)
        if untrusted:
            raise UntrustedModelError(f"{path} contains types outside the allow-list: {untrusted}")
        model = cls(params)
        model._estimator = sio.load(path, trusted=TRUSTED_TYPES)
        return model
