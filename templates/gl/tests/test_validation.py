"""The lake schema: derived from the feature record, strict, and explicit on failure."""

from __future__ import annotations

import pandas as pd
import pytest

from card_fraud_detector.core.schemas import FeatureRecord, LabeledRecord
from card_fraud_detector.core.validation import raw_schema, validate
from card_fraud_detector.core.features import categorical_columns, numeric_columns


def test_schema_has_every_declared_field() -> None:
    assert set(LabeledRecord.model_fields) <= set(raw_schema().columns)


def test_sample_data_is_valid(sample_frame: pd.DataFrame) -> None:
    typed, report = validate(sample_frame)
    assert report.ok, report.summary()
    assert len(typed) == len(sample_frame)


def test_bad_rows_are_named_by_column_and_row(sample_frame: pd.DataFrame) -> None:
    frame = sample_frame.head(50).copy()
    numeric = next(n for n, f in FeatureRecord.model_fields.items() if f.annotation is float)
    categorical = categorical_columns()[0]
    frame.loc[3, numeric] = -1.0
    frame.loc[5, categorical] = "not-a-category"
    _, report = validate(frame)
    assert not report.ok
    failures = {(f["column"], f["row"]) for f in report.failures}
    assert (numeric, 3) in failures
    assert (categorical, 5) in failures
    assert report.failed_rows == 2
    assert numeric in report.summary() and categorical in report.summary()


def test_missing_column_is_reported(sample_frame: pd.DataFrame) -> None:
    column = numeric_columns()[0]
    _, report = validate(sample_frame.drop(columns=[column]).head(20))
    assert not report.ok
    assert any(column in str(f["value"]) or f["column"] == column for f in report.failures)


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_non_finite_numbers_fail(sample_frame: pd.DataFrame, value: float) -> None:
    frame = sample_frame.head(20).copy()
    numeric = next(n for n, f in FeatureRecord.model_fields.items() if f.annotation is float)
    frame.loc[0, numeric] = value
    _, report = validate(frame)
    assert not report.ok
    assert any(f["column"] == numeric for f in report.failures)
