"""Lake validation: a pandera schema derived from `fields.py`, and reports a person can act on.

A raw partition comes from anywhere (CSV, Parquet, SQL), so each column is first read
as its field's type, and a value that does not convert is a failure, never a guess:
an integer id becomes text, "yes" never becomes True, 2.5 never becomes the integer 2.
The pandera schema then checks every row at once (missing values, bounds, categories,
lengths, unique ids). Every failure is counted; the report keeps the first ones with
the failing rows' values, and names missing columns next to the columns found.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from .fields import FEATURES, Field, describe
from .schemas import ID_COLUMN, TARGET, TIME_COLUMN, LabeledRecord

# The lake's columns: features, then the target.
FIELDS: dict[str, Field] = {**FEATURES, TARGET: describe(LabeledRecord)[TARGET]}
TIME_DTYPE = pd.DatetimeTZDtype("us", "UTC")
MAX_REPORTED_FAILURES = 50  # failures kept in the report; all of them are counted
MAX_EXAMPLE_ROWS = 20  # failing rows kept in the report with their values
SHOWN_ROWS = 5  # failing rows shown in the summary
SHOWN_NAMES = 10  # categories listed in a message
SHOWN_COLUMNS = 50  # columns found listed in the summary (the report keeps all)
MISSING = "must not be missing"
# pandera's names for its own checks, in the words of this module's checks.
_PANDERA_CHECKS = {"not_nullable": MISSING, "field_uniqueness": "must be unique"}
_BOOLEAN_WORDS = {"true": True, "false": False}
_CASE_COLUMNS = ["column", "check", "row", "value"]
# Failures are listed in the lake's column order.
_ORDER = {name: i for i, name in enumerate([ID_COLUMN, TIME_COLUMN, *FIELDS]) if name}


def _listing(names: list[str], limit: int) -> str:
    """At most `limit` names, saying how many more there are."""
    shown = ", ".join(names[:limit])
    return shown if len(names) <= limit else f"{shown} and {len(names) - limit} more"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _whole(numbers: pd.Series) -> pd.Series:
    """Whole numbers an int64 holds (NaN and infinity are not)."""
    return (numbers % 1 == 0) & (numbers.abs() < 2**63)


def _checks(spec: Field) -> list[pa.Check]:
    checks: list[pa.Check] = []
    if spec.kind == "float":
        checks.append(pa.Check(np.isfinite, error="must be finite"))
    if spec.kind == "int":
        checks.append(pa.Check(_whole, error="must be a whole number (64-bit)"))
    if spec.minimum is not None:
        low = _number(spec.minimum)
        if spec.exclusive_minimum:
            checks.append(pa.Check.gt(spec.minimum, error=f"must be > {low}"))
        else:
            checks.append(pa.Check.ge(spec.minimum, error=f"must be >= {low}"))
    if spec.maximum is not None:
        high = _number(spec.maximum)
        if spec.exclusive_maximum:
            checks.append(pa.Check.lt(spec.maximum, error=f"must be < {high}"))
        else:
            checks.append(pa.Check.le(spec.maximum, error=f"must be <= {high}"))
    if spec.categories:
        names = _listing(list(spec.categories), SHOWN_NAMES)
        checks.append(pa.Check.isin(spec.categories, error=f"must be one of: {names}"))
    if spec.max_length is not None:
        limit = f"must be at most {spec.max_length} characters"
        checks.append(pa.Check.str_length(max_value=spec.max_length, error=limit))
    return checks


def raw_schema() -> pa.DataFrameSchema:
    """Schema of a parsed lake partition: identifier, event time, features, target.

    Parsing fixes the types: float64; int64 for integers, float64 with NaN where they may
    be missing (as pandas reads them); bool, or object with None where it may be missing;
    text (the identifier too) as object holding str or None; UTC times.
    """
    columns: dict[str, pa.Column] = {}
    if ID_COLUMN is not None:
        columns[ID_COLUMN] = pa.Column(unique=True)
    if TIME_COLUMN is not None:
        columns[TIME_COLUMN] = pa.Column(TIME_DTYPE)
    for name, spec in FIELDS.items():
        dtype = "float64" if spec.kind == "float" else None
        columns[name] = pa.Column(dtype, _checks(spec), nullable=spec.nullable)
    return pa.DataFrameSchema(columns, strict="filter", name="raw")


# Parsing: raw column -> (typed column, where a present value did not convert, why).
Parsed = tuple[pd.Series, pd.Series, str]


def _is_bool(value: object) -> bool:
    return isinstance(value, bool | np.bool_)


def _as_bool(value: object) -> bool | None:
    """True or False as given, or as the words CSV readers write; anything else None."""
    if isinstance(value, str):
        return _BOOLEAN_WORDS.get(value.strip().lower())
    return bool(value) if _is_bool(value) else None


def _numbers(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """As float64 (missing values NaN), and where a present value is no number."""
    if pd.api.types.is_bool_dtype(raw):
        return pd.Series(np.nan, index=raw.index), raw.notna()
    if pd.api.types.is_numeric_dtype(raw):
        return raw.astype("float64"), pd.Series(False, index=raw.index)
    numbers = pd.to_numeric(raw, errors="coerce").astype("float64")
    if raw.dtype == object:  # True and False among numbers are no numbers
        numbers = numbers.mask(raw.map(_is_bool).astype(bool))
    return numbers, numbers.isna() & raw.notna()


def _parse_number(raw: pd.Series, spec: Field) -> Parsed:
    """float64; int64 for an integer field that may not be missing, once all are whole."""
    integer = spec.kind == "int" and not spec.nullable
    if integer and pd.api.types.is_integer_dtype(raw) and raw.notna().all():
        return raw.astype("int64"), pd.Series(False, index=raw.index), ""  # exact past 2**53
    numbers, bad = _numbers(raw)
    if integer and _whole(numbers).all():
        numbers = numbers.astype("int64")
    return numbers, bad, "must be a number"


def _parse_bool(raw: pd.Series, spec: Field) -> Parsed:
    # Never `astype(bool)` on raw values: pandas turns any non-empty string into True.
    if pd.api.types.is_bool_dtype(raw):
        values = raw.astype(object).where(raw.notna(), None)
    elif pd.api.types.is_numeric_dtype(raw):
        values = pd.Series(None, index=raw.index, dtype=object)
    else:
        values = raw.map(_as_bool).astype(object)
    present = values.notna()
    if not spec.nullable and present.all():
        values = values.astype(bool)
    return values, ~present & raw.notna(), "must be true or false"


def _as_text(value: object) -> object:
    """A value as text; a whole float is an integer that pandas read with gaps (3.0 -> "3")."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _parse_text(raw: pd.Series) -> Parsed:
    values = raw.astype(object).where(raw.notna(), None)
    if pd.api.types.infer_dtype(raw, skipna=True) not in ("string", "empty"):
        values = values.map(_as_text)
    return values, pd.Series(False, index=raw.index), ""


def _parse_time(raw: pd.Series) -> Parsed:
    """UTC times; text must be ISO 8601 (a time without an offset is taken as UTC)."""
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        values = raw.dt.tz_convert("UTC")
    elif pd.api.types.is_datetime64_dtype(raw):
        values = raw.dt.tz_localize("UTC")
    elif pd.api.types.is_numeric_dtype(raw) or pd.api.types.is_bool_dtype(raw):
        # Seconds or milliseconds since the epoch? Refused rather than guessed.
        values = pd.Series(pd.NaT, index=raw.index, dtype=TIME_DTYPE)
    else:
        values = pd.to_datetime(raw, utc=True, errors="coerce", format="ISO8601")
    bad = values.isna() & raw.notna()
    return values.astype(TIME_DTYPE), bad, "must be an ISO 8601 date-time"


def _parse(name: str, raw: pd.Series) -> Parsed:
    if name == ID_COLUMN:
        return _parse_text(raw)
    if name == TIME_COLUMN:
        return _parse_time(raw)
    spec = FIELDS[name]
    if spec.kind == "bool":
        return _parse_bool(raw, spec)
    if spec.numeric:
        return _parse_number(raw, spec)
    return _parse_text(raw)


def _plain(value: object) -> Any:
    """A value as JSON: a number, text, true/false, or None when missing."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, np.integer | int):
        return int(value)
    if isinstance(value, np.floating | float):
        return None if np.isnan(value) else float(value) if np.isfinite(value) else str(value)
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    return value.isoformat() if isinstance(value, pd.Timestamp) else str(value)


@dataclass(frozen=True)
class ValidationReport:
    """What failed, by column, check and row; valid means rows, every column, no failure.

    `failures` keeps the first MAX_REPORTED_FAILURES of `total_failures`, `examples` the
    first MAX_EXAMPLE_ROWS of `failed_rows` with their failing values (rows counted from
    0), and `by_column` counts every failure per column and check.
    """

    rows: int
    failures: list[dict[str, Any]] = field(default_factory=list)
    failed_rows: int = 0
    total_failures: int = 0
    missing_columns: list[str] = field(default_factory=list)
    columns_found: list[str] = field(default_factory=list)
    by_column: dict[str, dict[str, int]] = field(default_factory=dict)
    examples: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def of(
        cls,
        rows: int,
        failures: pd.DataFrame | list[dict[str, Any]],
        missing_columns: list[str] | None = None,
        columns_found: list[str] | None = None,
        ids: pd.Series | None = None,
    ) -> ValidationReport:
        """Count `failures` (column, check, row, value) in full and keep the first ones."""
        cases = pd.DataFrame(failures, columns=_CASE_COLUMNS)
        cases["row"] = cases["row"].astype("Int64")
        cases["order"] = cases["column"].map(_ORDER).fillna(len(_ORDER))
        cases = cases.sort_values(["row", "order"], kind="stable", na_position="first")
        by_column: dict[str, dict[str, int]] = {}
        for (_, column, check), count in cases.groupby(["order", "column", "check"]).size().items():
            by_column.setdefault(str(column), {})[str(check)] = int(count)
        failing = cases.dropna(subset=["row"])
        kept = [
            {
                "column": str(case.column),
                "check": str(case.check),
                "row": None if pd.isna(case.row) else int(case.row),
                "value": _plain(case.value),
            }
            for case in cases.head(MAX_REPORTED_FAILURES).itertuples()
        ]
        return cls(
            rows,
            kept,
            failed_rows=failing["row"].nunique(),
            total_failures=len(cases),
            missing_columns=list(missing_columns or []),
            columns_found=list(columns_found or []),
            by_column=by_column,
            examples=_examples(failing, ids),
        )

    @property
    def ok(self) -> bool:
        return self.rows > 0 and not self.failures and not self.missing_columns

    def summary(self) -> str:
        """A headline, then what to fix: missing columns, failures per column, first rows."""
        if self.ok:
            return f"{self.rows} rows valid"
        problems, lines = [], []
        if self.rows == 0:
            problems.append("no rows")
        if self.missing_columns:
            missing = _plural(len(self.missing_columns), "required column")
            problems.append(f"{missing} missing: {', '.join(self._missing_named())}")
            found = _listing(self.columns_found, SHOWN_COLUMNS)
            lines.append(f"columns found ({len(self.columns_found)}): {found}")
            if not self.failures and self.rows:
                lines.append("the values of the columns found are valid")
        if self.failed_rows:
            problems.append(f"{self.failed_rows} of {_plural(self.rows, 'row')} invalid")
        elif self.failures:
            problems.append(_plural(self.total_failures, "failure") + " of whole columns")
        for column, checks in self.by_column.items():
            lines.extend(f"{column}: {_plural(n, 'value')} {check}" for check, n in checks.items())
        if self.examples:
            shown = self.examples[:SHOWN_ROWS]
            lines.append(
                f"first failing rows ({len(shown)} of {self.failed_rows}, counted from 0):"
            )
            lines.extend(f"  {_row(example)}" for example in shown)
        if self.total_failures > len(self.failures):
            lines.append(
                f"the report keeps the first {len(self.failures)} of {self.total_failures} "
                f"failures and the first {len(self.examples)} of {self.failed_rows} failing rows"
            )
        return "; ".join(problems) + "".join(f"\n  {line}" for line in lines)

    def _missing_named(self) -> list[str]:
        """Each missing column, with an unexpected column it resembles (case, spaces, a typo)."""
        found = {_folded(name): name for name in self.columns_found if name not in _ORDER}
        named = []
        for name in self.missing_columns:
            close = difflib.get_close_matches(_folded(name), found, n=1, cutoff=0.8)
            named.append(f"{name} (did you mean {found[close[0]]!r}?)" if close else name)
        return named


def _examples(failing: pd.DataFrame, ids: pd.Series | None) -> list[dict[str, Any]]:
    """The first failing rows: id, and each failing column's value and problem."""
    first = failing[failing["row"].isin(failing["row"].unique()[:MAX_EXAMPLE_ROWS])]
    examples = []
    for row, cells in first.groupby("row", sort=False):
        columns: dict[str, dict[str, Any]] = {}
        for cell in cells.itertuples():
            seen = columns.get(str(cell.column))
            problem = f"{seen['problem']} and {cell.check}" if seen else str(cell.check)
            columns[str(cell.column)] = {"value": _plain(cell.value), "problem": problem}
        example: dict[str, Any] = {"row": int(row)}
        if ids is not None and ID_COLUMN is not None:
            example[ID_COLUMN] = _plain(ids.iloc[int(row)])
        examples.append({**example, "columns": columns})
    return examples


def _folded(name: str) -> str:
    return re.sub(r"[\W_]+", "_", name.strip().lower())


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _row(example: dict[str, Any]) -> str:
    """`row 3 (id 'a-1'): amount=-1.0 must be > 0; hour is missing`"""
    cells = []
    for column, cell in example["columns"].items():
        if cell["problem"] == MISSING:
            cells.append(f"{column} is missing")
        elif cell["value"] is None:
            cells.append(f"{column}: {cell['problem']}")
        else:
            cells.append(f"{column}={cell['value']!r} {cell['problem']}")
    key = ""
    if ID_COLUMN is not None and example.get(ID_COLUMN) is not None:
        key = f" ({ID_COLUMN} {example[ID_COLUMN]!r})"
    return f"row {example['row']}{key}: {'; '.join(cells)}"


class DataValidationError(ValueError):
    """Raised when a partition breaks the schema; carries the full report."""

    def __init__(self, report: ValidationReport) -> None:
        super().__init__(report.summary())
        self.report = report


def validate(frame: pd.DataFrame) -> tuple[pd.DataFrame, ValidationReport]:
    """Parse and check every row at once; return the typed frame and the report.

    The typed frame has the schema's columns only, in its order, rows numbered from 0.
    On failure the input frame comes back unchanged with the report.
    """
    raw = frame.reset_index(drop=True)
    schema = raw_schema()
    found = [str(column) for column in raw.columns]
    missing = [name for name in schema.columns if name not in found]
    columns: dict[str, pd.Series] = {}
    unparsed: list[pd.DataFrame] = []
    for name in schema.columns:
        if name in missing:
            continue
        columns[name], bad, reason = _parse(name, raw[name])
        if bad.any():
            rows = np.flatnonzero(bad.to_numpy())
            values = raw[name].iloc[rows].to_numpy(dtype=object)
            unparsed.append(
                pd.DataFrame({"column": name, "check": reason, "row": rows, "value": values})
            )
    typed = pd.DataFrame(columns, index=raw.index)
    cases = _check(schema.remove_columns(missing), typed)
    if unparsed:
        parsed = pd.concat(unparsed, ignore_index=True)
        # A value that did not parse is missing in `typed`: report it once, for its own reason.
        cells = pd.MultiIndex.from_frame(parsed[["column", "row"]])
        again = pd.MultiIndex.from_frame(cases[["column", "row"]]).isin(cells)
        cases = parsed if again.all() else pd.concat([parsed, cases[~again]], ignore_index=True)
    report = ValidationReport.of(len(raw), cases, missing, found, typed.get(ID_COLUMN))
    return (typed, report) if report.ok else (frame, report)


def _check(schema: pa.DataFrameSchema, typed: pd.DataFrame) -> pd.DataFrame:
    """Every failure of the parsed frame as (column, check, row, value)."""
    try:
        schema.validate(typed, lazy=True)
    except SchemaErrors as errors:
        found = errors.failure_cases
        return pd.DataFrame(
            {
                "column": found["column"].astype(str),
                "check": found["check"].astype(str).replace(_PANDERA_CHECKS),
                "row": pd.array(found["index"], dtype="Int64"),
                "value": found["failure_case"],
            }
        )
    return pd.DataFrame(columns=_CASE_COLUMNS)
