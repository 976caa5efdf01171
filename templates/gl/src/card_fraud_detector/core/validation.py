"""Data validation: a pandera schema derived from the feature record.

`FeatureRecord` (pydantic) is the one place where columns, types and ranges are
declared; this module turns it into a pandera schema for whole DataFrames and
turns pandera's failure cases into a report that names columns and rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, get_args, get_origin

import annotated_types
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from pydantic import BaseModel

from .schemas import ID_COLUMN, TIME_COLUMN, LabeledRecord

# pydantic keeps Field(ge=..., lt=...) as annotated-types objects in `metadata`.
_BOUND_CHECKS: tuple[tuple[type[Any], str, Any], ...] = (
    (annotated_types.Gt, "gt", pa.Check.gt),
    (annotated_types.Ge, "ge", pa.Check.ge),
    (annotated_types.Lt, "lt", pa.Check.lt),
    (annotated_types.Le, "le", pa.Check.le),
)
_DTYPES: dict[Any, str] = {bool: "bool", int: "int64", float: "float64"}
MAX_REPORTED_FAILURES = 50


def columns_of(record: type[BaseModel]) -> dict[str, pa.Column]:
    """One pandera column per field of a pydantic record, with its type and range."""
    columns: dict[str, pa.Column] = {}
    for name, info in record.model_fields.items():
        annotation = info.annotation
        if get_origin(annotation) is Literal:
            columns[name] = pa.Column(str, pa.Check.isin(list(get_args(annotation))))
            continue
        checks = [
            make(getattr(item, attribute))
            for item in info.metadata
            for kind, attribute, make in _BOUND_CHECKS
            if isinstance(item, kind)
        ]
        # Numbers read from CSV may arrive as int where float is declared: coerce
        # them, but never coerce booleans (pandas would turn any string into True).
        columns[name] = pa.Column(_DTYPES[annotation], checks, coerce=annotation is not bool)
    return columns


def raw_schema() -> pa.DataFrameSchema:
    """Schema of a raw lake partition: features, target, identifier and event time."""
    return pa.DataFrameSchema(
        {
            ID_COLUMN: pa.Column(str, unique=True),
            TIME_COLUMN: pa.Column("datetime64[ns, UTC]", coerce=True),
            **columns_of(LabeledRecord),
        },
        strict="filter",
        name="raw",
    )


@dataclass(frozen=True)
class ValidationReport:
    """What failed, by column, check and row; empty `failures` means valid."""

    rows: int
    failures: list[dict[str, Any]] = field(default_factory=list)
    failed_rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.failures

    def summary(self) -> str:
        if self.ok:
            return f"{self.rows} rows valid"
        by_column: dict[str, int] = {}
        for failure in self.failures:
            by_column[failure["column"]] = by_column.get(failure["column"], 0) + 1
        columns = ", ".join(f"{name} ({count})" for name, count in sorted(by_column.items()))
        first = self.failures[0]
        return (
            f"{self.failed_rows} of {self.rows} rows invalid; failing columns: {columns}; "
            f"first failure: row {first['row']}, column {first['column']}, "
            f"check {first['check']}, value {first['value']!r}"
        )


class DataValidationError(ValueError):
    """Raised when a partition breaks the schema; carries the full report."""

    def __init__(self, report: ValidationReport) -> None:
        super().__init__(report.summary())
        self.report = report


def validate(frame: pd.DataFrame) -> tuple[pd.DataFrame, ValidationReport]:
    """Validate every row at once (lazy) and return the typed frame and the report."""
    try:
        typed = raw_schema().validate(frame, lazy=True)
    except SchemaErrors as errors:
        cases = errors.failure_cases
        failures = [
            {
                "column": str(case["column"]) if pd.notna(case["column"]) else "<frame>",
                "check": str(case["check"]),
                "row": None if pd.isna(case["index"]) else int(case["index"]),
                "value": None if pd.isna(case["failure_case"]) else str(case["failure_case"]),
            }
            for case in cases.to_dict("records")
        ]
        failed_rows = int(cases["index"].dropna().nunique())
        report = ValidationReport(len(frame), failures[:MAX_REPORTED_FAILURES], failed_rows)
        return frame, report
    return typed, ValidationReport(len(typed))
