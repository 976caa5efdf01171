"""Write `core/schemas.py` for a table of your own: `make schema FROM=table.csv TARGET=label`.

The table is read as ingest reads it (CSV or Parquet, by suffix); each column gets a
field type, bounds and nullability from what it holds, and the module is written
already formatted (ruff and mypy --strict clean) for a person to review. Columns a
model cannot use (every value missing, a single value, nested values, a second
date/time column) are left out and named; anything the pipeline could not take (a
target that does not fit the task, a name that cannot be a field, infinite numbers)
is refused, naming the column. The draft is imported and checked against the table's
rows before it replaces the old module: a refusal or a crash leaves the old one as it was.
"""

from __future__ import annotations

import ast
import importlib.machinery
import importlib.util
import keyword
import math
import os
import re
import sys
import tempfile
import textwrap
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import ModuleType
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ValidationError

SCHEMAS_PATH = Path(__file__).resolve().parents[1] / "core" / "schemas.py"
CORE_PACKAGE = f"{__name__.split('.')[0]}.core"
TASKS = ("binary_classification", "regression")

WIDEN = 0.1  # bounds: the observed range, widened by this share of its span on each side
MAX_CATEGORIES = 20  # strings with more distinct values are free text
MAX_NAME = 40  # longer column names are refused: the module's lines must fit in 100 columns
MAX_DESCRIPTION = 76
CHECKED_ROWS = 1000  # rows validated against the draft before it replaces the module
BUCKET_QUANTILES = (0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99)
CLASSIFIER_BUCKETS = "(0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 0.95, 0.99)"
# Names the generated class bodies use: a field named like one of them would shadow it.
RESERVED = {"BaseModel", "ConfigDict", "Field", "Integer", "Literal", "bool", "float", "int", "str"}
ID_NAME = re.compile(r"(^|_)(id|uuid|guid|key)$|[a-z0-9](Id|ID)$", re.IGNORECASE)
FIELD_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")  # ASCII: it becomes a gRPC field name too
LINE = 100

Kind = Literal["float", "int", "bool", "category", "text"]


class SchemaInferenceError(ValueError):
    """The table cannot be described by a schema module; nothing was written."""


class _LeftOutError(Exception):
    """The column carries nothing a model can use: left out, with the reason."""


class _RefusedError(Exception):
    """The column would break the pipeline: the table must change first."""


@dataclass(frozen=True)
class Column:
    """One inferred field: its kind, bounds and what was observed."""

    name: str
    kind: Kind
    seen: str  # what the values were: "6.981 to 28.11", "3 categories"
    bounds: tuple[tuple[str, str], ...] = ()  # (("ge", "0"), ("le", "31")), rendered
    categories: tuple[str, ...] = ()
    note: str = ""  # for the reviewer, in the comment only
    missing: int = 0
    rows: int = 0

    @property
    def nullable(self) -> bool:
        return self.missing > 0

    @property
    def comment(self) -> str:
        coverage = (
            f"missing in {self.missing} of {self.rows} rows" if self.missing else "never missing"
        )
        return f"observed {self.seen}{self.note}; {coverage}"

    @property
    def description(self) -> str:
        text = f"{self.name.replace('_', ' ')}, observed {self.seen}"
        return text if len(text) <= MAX_DESCRIPTION else f"observed {self.seen}"


@dataclass
class Inferred:
    """What `infer` found: enough to write the module and to tell the user about it."""

    task: str
    source: str
    rows: int
    target: Column
    features: list[Column]
    id_column: str | None
    time_column: str | None
    buckets: tuple[float, ...] = ()  # regression: quantiles of the target
    left_out: dict[str, str] = field(default_factory=dict)  # column → why
    notes: list[str] = field(default_factory=list)


def read_table(path: Path) -> pd.DataFrame:
    """A CSV or Parquet file, read exactly as ingest reads DATA_PATH."""
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist")
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise SchemaInferenceError(f"{path.name}: expected a .csv or .parquet file")
    try:
        return pd.read_parquet(path) if suffix == ".parquet" else pd.read_csv(path)
    except (ValueError, OSError) as error:
        raise SchemaInferenceError(f"cannot read {path}: {error}") from error


def project_task(module: Path = SCHEMAS_PATH) -> str:
    """The project's TASK, parsed rather than imported: the module may no longer import."""
    try:
        tree = ast.parse(module.read_text(encoding="utf-8"))
    except (OSError, SyntaxError) as error:
        raise SchemaInferenceError(f"cannot read TASK from {module}: {error}") from error
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and [ast.unparse(target) for target in node.targets] == ["TASK"]
            and isinstance(node.value, ast.Constant)
            and node.value.value in TASKS
        ):
            return str(node.value.value)
    raise SchemaInferenceError(f"{module} sets no TASK ({' or '.join(TASKS)}): restore it")


def infer(
    frame: pd.DataFrame,
    task: str,
    target: str,
    id_column: str | None = None,
    time_column: str | None = None,
    source: str = "your table",
) -> Inferred:
    """Describe every column of `frame`, or raise naming each column that cannot be taken."""
    if task not in TASKS:
        raise SchemaInferenceError(f"TASK must be one of {', '.join(TASKS)}, not {task!r}")
    if frame.empty:
        raise SchemaInferenceError(f"{source} has no rows")
    named = {"TARGET": target, "ID": id_column, "TIME": time_column}
    for option, name in named.items():
        if name is not None and name not in frame.columns:
            columns = ", ".join(map(str, frame.columns))
            raise SchemaInferenceError(f"{option} column {name!r} is not in {source}: {columns}")
    given = [name for name in named.values() if name is not None]
    if len(set(given)) < len(given):
        raise SchemaInferenceError("TARGET, ID and TIME must be three different columns")

    problems: list[str] = []
    try:
        label = _target(frame[target], task)
    except _RefusedError as reason:
        problems.append(f"TARGET column {target!r}: {reason}")
    rest = [str(name) for name in frame.columns if name not in given]
    time_column, left_out = _time_column(frame, rest, time_column, problems)
    rest = [name for name in rest if name != time_column and name not in left_out]
    id_column, more = _id_column(frame, rest, id_column, problems)
    left_out.update(more)

    features: list[Column] = []
    for name in rest:
        if name == id_column or name in left_out:
            continue
        try:
            features.append(_feature(name, frame[name]))
        except _LeftOutError as reason:
            left_out[name] = str(reason)
        except _RefusedError as reason:
            problems.append(f"column {name!r}: {reason}")
    problems += [
        f"column {name!r}: {why}"
        for name in (target, *(column.name for column in features))
        if (why := _bad_name(name))
    ]
    if task == "binary_classification" and target == "score":
        problems.append("TARGET column 'score': the prediction has a `score` of its own: rename it")
    if not problems and not features:
        problems.append("no column is left to learn from")
    if problems:
        also = "".join(f"\n  (left out {name}: {why})" for name, why in left_out.items())
        raise SchemaInferenceError(
            f"{source}: nothing was written\n  " + "\n  ".join(problems) + also
        )

    inferred = Inferred(
        task, source, len(frame), label, features, id_column, time_column, left_out=left_out
    )
    if task == "regression":
        inferred.buckets = _buckets(frame[target].to_numpy(dtype=float))
        if set(frame[target].unique().tolist()) <= {0, 1}:
            inferred.notes.append(
                "the target is 0/1 and this project is a regression: generate a "
                "binary_classification project for a classifier"
            )
    return inferred


def _time_column(
    frame: pd.DataFrame, columns: list[str], named: str | None, problems: list[str]
) -> tuple[str | None, dict[str, str]]:
    """TIME if named, else the one complete date/time column; the other ones are left out."""
    times = [name for name in columns if _is_time(frame[name])]
    chosen = named
    if named is not None:
        if not _is_time(frame[named]):
            problems.append(f"TIME column {named!r}: not ISO 8601 dates and times")
        elif frame[named].isna().any():
            problems.append(f"TIME column {named!r}: has missing values")
    else:
        complete = [name for name in times if frame[name].notna().all()]
        if len(complete) > 1:
            problems.append(f"several date/time columns ({', '.join(complete)}): name one, TIME=")
        chosen = complete[0] if len(complete) == 1 else None
    why = "date/time values (turn them into a number, e.g. days since, to use them)"
    return chosen, {name: why for name in times if name != chosen}


def _id_column(
    frame: pd.DataFrame, columns: list[str], named: str | None, problems: list[str]
) -> tuple[str | None, dict[str, str]]:
    """ID if named, else the one column named like an identifier and unique in every row."""
    ids = [name for name in columns if _is_id(name, frame[name])]
    chosen = named
    if named is not None:
        if frame[named].isna().any() or not frame[named].is_unique:
            problems.append(f"ID column {named!r}: must be unique and never missing")
    elif len(ids) > 1:
        problems.append(f"several identifier columns ({', '.join(ids)}): name one, ID=")
    else:
        chosen = ids[0] if ids else None
    return chosen, {name: "another identifier" for name in ids if name != chosen}


def _target(values: pd.Series, task: str) -> Column:
    """The label: 0/1 (or booleans) for a classifier, numbers for a regression."""
    missing = int(values.isna().sum())
    if missing:
        raise _RefusedError(f"{missing} rows have no label: drop them from the table")
    name = str(values.name)
    if task == "binary_classification":
        seen = set(values.unique().tolist())
        if not seen <= {0, 1}:
            shown = ", ".join(_prose(_short(value)) for value in sorted(seen, key=str)[:3])
            raise _RefusedError(
                f"a binary target holds 0 and 1 (or False and True), not {len(seen)} values "
                f"like {shown}: in the table, make the class to detect 1 and the other 0"
            )
        if len(seen) < 2:
            raise _RefusedError("a single class: a classifier needs rows of both 0 and 1")
        positives = int(values.astype(int).sum())
        share = f"1 in {positives} of {len(values)} rows ({positives / len(values):.1%})"
        return Column(name, "int", share, (("ge", "0"), ("le", "1")))
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        raise _RefusedError(f"a regression target holds numbers, not {values.dtype} values")
    numbers = values.to_numpy(dtype=float)
    if not np.isfinite(numbers).all():
        raise _RefusedError("holds infinite values")
    if numbers.min() == numbers.max():
        raise _RefusedError(f"every value is {numbers.min():g}: nothing to predict")
    return _number(name, numbers, "float")


def _feature(name: str, values: pd.Series) -> Column:
    """A feature column, with its share of missing values in the comment."""
    present = values.dropna()
    if present.empty:
        raise _LeftOutError("every value is missing")
    if pd.api.types.is_object_dtype(values) and "nested" in set(map(_python_kind, present)):
        raise _LeftOutError("nested values (flatten them into columns to use them)")
    if present.nunique() < 2:
        raise _LeftOutError(f"a single value, {_prose(_short(present.iloc[0]))}")
    column = _typed(name, values, present)
    if len(present) == len(values):
        return column
    return replace(column, missing=len(values) - len(present), rows=len(values))


def _typed(name: str, values: pd.Series, present: pd.Series) -> Column:
    """The field for a column's values: by dtype, or by the Python values of an object column."""
    if isinstance(values.dtype, pd.CategoricalDtype) or pd.api.types.is_object_dtype(values):
        kinds = {_python_kind(value) for value in present}
        if len(kinds) > 1:
            raise _RefusedError(f"mixes {' and '.join(sorted(kinds))} values")
        kind = kinds.pop()
        if kind == "bool":
            return _boolean(name, present.astype(bool))
        if kind == "number":
            return _typed(name, pd.to_numeric(values), pd.to_numeric(present))
        if kind == "str":
            return _strings(name, present.astype(str))
        raise _LeftOutError(f"{kind} values")
    if pd.api.types.is_bool_dtype(values):
        return _boolean(name, present.astype(bool))
    if pd.api.types.is_string_dtype(values):
        return _strings(name, present.astype(str))
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_complex_dtype(values):
        numbers = present.to_numpy(dtype=float)
        if not np.isfinite(numbers).all():
            raise _RefusedError("infinite values: fix them, or leave those cells empty")
        if pd.api.types.is_integer_dtype(values):
            return _number(name, numbers, "int")
        # Whole numbers with gaps come out of a CSV as floats: that is an integer field.
        if len(present) < len(values) and bool((numbers == np.round(numbers)).all()):
            return replace(_number(name, numbers, "int"), note=" (read as float for the gaps)")
        return _number(name, numbers, "float")
    raise _LeftOutError(f"{values.dtype} values")


def _python_kind(value: object) -> str:
    if isinstance(value, bool | np.bool_):
        return "bool"
    if isinstance(value, int | float | np.integer | np.floating):
        return "number"
    if isinstance(value, str):
        return "str"
    if isinstance(value, list | tuple | dict | set | np.ndarray | bytes):
        return "nested"
    return type(value).__name__


def _number(name: str, numbers: np.ndarray, kind: Kind) -> Column:
    whole = kind == "int"
    low, high = float(numbers.min()), float(numbers.max())
    seen = f"{_show(low)} to {_show(high)}"
    if whole and set(np.unique(numbers).tolist()) <= {0, 1}:
        lower, upper, seen = 0.0, 1.0, "0 or 1"  # a flag: widening would only blur it
    else:
        lower, upper = _bounds(low, high, whole)
    bounds = (("ge", _number_literal(lower)), ("le", _number_literal(upper)))
    return Column(name, kind, seen, bounds)


def _bounds(low: float, high: float, whole: bool) -> tuple[float, float]:
    """The observed range widened by WIDEN of its span and rounded outward.

    The lower bound is 0 when nothing was negative (the upper one 0 when nothing was
    positive): a sign is a fact about the data, an exact minimum is not.
    """
    span = high - low
    step = 10.0 ** (math.floor(math.log10(span)) - 1)  # two digits of the span: 21.1 → 1
    if whole:
        step = max(step, 1.0)
    margin = span * WIDEN
    lower = 0.0 if low >= 0 else math.floor((low - margin) / step) * step
    upper = 0.0 if high <= 0 else math.ceil((high + margin) / step) * step
    digits = max(0, -math.floor(math.log10(step)))
    return round(lower, digits), round(upper, digits)


def _boolean(name: str, values: pd.Series) -> Column:
    return Column(name, "bool", f"True in {int(values.sum())} of {len(values)}")


def _strings(name: str, values: pd.Series) -> Column:
    """Closed categories when few distinct short values repeat, free text otherwise."""
    distinct = sorted(values.unique().tolist())
    labels = all(value and len(_literal(value)) <= 60 for value in distinct)
    if labels and len(distinct) <= MAX_CATEGORIES and 2 * len(distinct) <= len(values):
        return Column(name, "category", f"{len(distinct)} categories", categories=tuple(distinct))
    longest = int(values.str.len().max())
    seen = f"{len(distinct)} texts, the longest {longest} characters"
    limit = max(64, 2 ** math.ceil(math.log2(2 * longest)))  # room to grow, in powers of 2
    return Column(name, "text", seen, (("max_length", str(limit)),))


def _is_time(values: pd.Series) -> bool:
    """A datetime column, or strings that all parse as ISO 8601 dates and times."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return True
    if not (pd.api.types.is_string_dtype(values) or pd.api.types.is_object_dtype(values)):
        return False
    present = values.dropna()
    if present.empty or not all(isinstance(value, str) for value in present):
        return False
    parsed = pd.to_datetime(present, format="ISO8601", utc=True, errors="coerce")
    return bool(parsed.notna().all())


def _is_id(name: str, values: pd.Series) -> bool:
    """Named like an identifier, integers or strings, unique and never missing."""
    usable = pd.api.types.is_integer_dtype(values) or pd.api.types.is_string_dtype(values)
    return bool(ID_NAME.search(name) and usable and values.notna().all() and values.is_unique)


def _bad_name(name: str) -> str:
    """Why a column name cannot be a field of the record, or ''."""
    if not FIELD_NAME.fullmatch(name) or keyword.iskeyword(name):
        suggestion = re.sub(r"\W+", "_", name).strip("_").lower()
        if keyword.iskeyword(suggestion):
            suggestion += "_"
        example = f" (e.g. {suggestion})" if FIELD_NAME.fullmatch(suggestion) else ""
        return f"not a field name: rename it in the table{example}"
    if len(name) > MAX_NAME:
        return f"longer than {MAX_NAME} characters: rename it in the table"
    if name in RESERVED or hasattr(BaseModel, name) or name.startswith("model_"):
        return "a name pydantic or the schema module uses: rename it in the table"
    return ""


def _buckets(target: np.ndarray) -> tuple[float, ...]:
    """Histogram buckets of served predictions: the target's quantiles, two digits each."""
    edges = sorted({float(f"{edge:.2g}") for edge in np.quantile(target, BUCKET_QUANTILES)})
    if len(edges) == 1:
        edges.append(float(f"{target.max():.2g}") + abs(edges[0]) + 1)
    return tuple(edges)


def render(inferred: Inferred) -> str:
    """The schema module's source, laid out exactly as `ruff format` lays it out."""
    features = inferred.features
    aliases = _aliases(features)
    lines = [*_docstring(inferred), "", "from __future__ import annotations", ""]
    lines += ["from collections.abc import Mapping"]
    if any(column.kind == "category" for column in features):
        lines += ["from typing import Literal"]
    lines += [
        "",
        "import numpy as np",
        "from pydantic import BaseModel, ConfigDict, Field",
    ]
    if any(column.kind == "int" for column in features):
        lines += ["", "from .field_types import Integer"]
    lines += [
        "",
        f"TASK = {_literal(inferred.task)}",
        f"TARGET = {_literal(inferred.target.name)}",
        "# Carried through the lake and into predictions; None when a table has no such column.",
        f"ID_COLUMN: str | None = {_optional(inferred.id_column)}",
        f"TIME_COLUMN: str | None = {_optional(inferred.time_column)}",
        "",
    ]
    for column in features:
        if column.name in aliases:
            items = list(map(_literal, column.categories))
            lines += _bracketed(f"{aliases[column.name]} = Literal[", items, "]")
    if aliases:
        lines.append("")
    lines += _outputs(inferred)
    lines += [
        "",
        "",
        "class FeatureRecord(BaseModel):",
        '    """One record as it arrives for scoring."""',
        "",
        "    model_config = ConfigDict("
        'extra="forbid", strict=True, allow_inf_nan=False, frozen=True)',
    ]
    for column in features:
        annotation = aliases.get(column.name) or _annotation(column)
        lines += ["", f"    # {column.comment}", *_field(column, annotation)]
    lines += ["", "", *_labels_and_predictions(inferred)]
    return "\n".join(lines) + "\n"


def _docstring(inferred: Inferred) -> list[str]:
    source = _prose(inferred.source) if len(inferred.source) <= 40 else "your table"
    lines = [
        f'"""The records of {source}: the one place that describes this project\'s data.',
        "",
        f"Written by `make schema` from {inferred.rows} rows: review each field before you train.",
        "Each field's comment says what was observed; bounds are the observed range widened",
        "by a tenth of its span and rounded (0 when nothing was negative); a field with",
        "missing values is `| None`; strings with few distinct values are closed categories",
        "(a value not listed is refused), other strings free text. Everything else follows",
        "from this module (`fields.py` reads it): the lake validation, the feature transform,",
        "the API and its OpenAPI document, the Open Inference Protocol metadata, the gRPC",
        "`.proto`, sample data and the tests. Field types are listed in `field_types.py`.",
    ]
    if inferred.left_out:
        left_out = "; ".join(f"{_prose(n)}, {why}" for n, why in inferred.left_out.items())
        lines += ["", *textwrap.wrap(f"Columns of the table left out: {left_out}.", 88)]
    return [*lines, '"""']


def _outputs(inferred: Inferred) -> list[str]:
    if inferred.task == "binary_classification":
        return [
            "# Used only when a bundle carries no threshold of its own.",
            "DEFAULT_THRESHOLD = 0.5",
            "# Buckets of the served score distribution (Prometheus histogram).",
            f"OUTPUT_BUCKETS = {CLASSIFIER_BUCKETS}",
        ]
    edges = [np.format_float_positional(edge, trim="0") for edge in inferred.buckets]
    return [
        "# Buckets of the served prediction distribution: quantiles of the target.",
        *_bracketed("OUTPUT_BUCKETS = (", edges, ")", explode=True),
    ]


def _labels_and_predictions(inferred: Inferred) -> list[str]:
    target = inferred.target.name
    classifier = inferred.task == "binary_classification"
    outcome = "label" if classifier else "outcome"
    if classifier:
        prediction = [
            *_field_line("score", "float", [f"description={_literal(f'probability of {target}')}"]),
            *_field_line(target, "bool", ['description="score at or above the threshold"']),
        ]
        body = [
            '    """Turn probabilities into answers with the threshold chosen at training."""',
            "    cutoff = decision_threshold(threshold)",
            *_comprehension(f"Prediction(score=float(s), {target}=bool(s >= cutoff))"),
            "",
            "",
            "def decision_threshold(threshold: float | None) -> float:",
            '    """The bundle\'s threshold, or DEFAULT_THRESHOLD for a bundle without one."""',
            "    return DEFAULT_THRESHOLD if threshold is None else threshold",
        ]
    else:
        prediction = _field_line(
            target, "float", [f"description={_literal(f'predicted {target}')}"]
        )
        body = [
            '    """Wrap model outputs; regression has no decision threshold."""',
            *_comprehension(f"Prediction({target}=float(s))"),
        ]
    return [
        "class LabeledRecord(FeatureRecord):",
        f'    """A record with its {outcome}, as stored in the lake."""',
        "",
        f"    # {inferred.target.comment}",
        *_field(inferred.target, "int" if classifier else "float"),
        "",
        "",
        "class Prediction(BaseModel):",
        '    """The answer for one record."""',
        "",
        *prediction,
        "",
        "",
        "def derive_features(columns: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:",
        '    """Stateless features computed identically at training and serving time.',
        "",
        "    `columns` holds each feature as an array: numbers (integers and booleans too) as",
        "    float64, NaN where missing; strings as objects. Return one float array per name.",
        '    """',
        "    # Add features computed from the columns above here, one array per name, e.g.",
        '    # {"a_per_b": columns["a"] / columns["b"]}.',
        "    return {}",
        "",
        "",
        "def to_predictions(scores: np.ndarray, threshold: float | None) -> list[Prediction]:",
        *body,
    ]


def _comprehension(element: str) -> list[str]:
    """`return [element for s in scores]`, split where ruff splits it."""
    if len(line := f"    return [{element} for s in scores]") <= LINE:
        return [line]
    if len(body := f"        {element} for s in scores") <= LINE:
        return ["    return [", body, "    ]"]
    return ["    return [", f"        {element}", "        for s in scores", "    ]"]


def _annotation(column: Column) -> str:
    if column.kind == "category":
        return f"Literal[{', '.join(map(_literal, column.categories))}]"
    return {"float": "float", "int": "Integer", "bool": "bool", "text": "str"}[column.kind]


def _field(column: Column, annotation: str) -> list[str]:
    arguments = ["default=None"] if column.nullable else []
    arguments += [f"{key}={value}" for key, value in column.bounds]
    arguments.append(f"description={_literal(column.description)}")
    return _field_line(column.name, annotation + (" | None" if column.nullable else ""), arguments)


def _field_line(name: str, annotation: str, arguments: list[str]) -> list[str]:
    lines = _bracketed(f"    {name}: {annotation} = Field(", arguments, ")")
    # The table's own name, kept; ruff leaves a pragma comment out of the line length.
    if name in ("l", "I", "O"):
        lines[0] += "  # noqa: E741"
    elif name[0].islower() and not name.islower():
        lines[0] += "  # noqa: N815"  # mixedCase
    return lines


def _aliases(columns: list[Column]) -> dict[str, str]:
    """Type aliases for category sets too long to write inline, named after the column."""
    taken = RESERVED | {column.name for column in columns}
    aliases: dict[str, str] = {}
    for column in columns:
        if column.kind != "category":
            continue
        inline = _annotation(column)
        if len(inline) <= 40 and len(f"    {column.name}: {inline} | None = Field(") <= LINE:
            continue
        base = "".join(part[:1].upper() + part[1:] for part in column.name.split("_"))[:36]
        alias, number = base, 1
        while alias in taken:
            number += 1
            alias = f"{base}{number}"
        taken.add(alias)
        aliases[column.name] = alias
    return aliases


def _bracketed(head: str, items: list[str], tail: str, explode: bool = False) -> list[str]:
    """`head items tail` on one line, else the items on one indented line, else one per line.

    ruff's layout for calls and subscripts; a tuple (`explode`) skips the middle step.
    """
    indent = head[: len(head) - len(head.lstrip())]
    if len(one := head + ", ".join(items) + tail) <= LINE:
        return [one]
    if not explode and len(body := f"{indent}    " + ", ".join(items)) <= LINE:
        return [head, body, indent + tail]
    return [head, *(f"{indent}    {item}," for item in items), indent + tail]


def _literal(text: str) -> str:
    """A string literal as ruff writes it: double quotes unless single ones need fewer escapes.

    Characters outside printable ASCII are escaped: no look-alike character reaches the source.
    """
    quote = "'" if text.count('"') > text.count("'") else '"'
    return quote + "".join(_escape(char, quote) for char in text) + quote


def _escape(char: str, quote: str) -> str:
    if char in ("\\", quote):
        return "\\" + char
    if " " <= char <= "~":
        return char
    return char.encode("unicode_escape").decode("ascii")


def _optional(text: str | None) -> str:
    return "None" if text is None else _literal(text)


def _prose(text: str) -> str:
    """A name inside a docstring or a message: ASCII, and no quote that could end a docstring."""
    return _literal(text)[1:-1].replace('"', "'").replace("\\", "/")


def _number_literal(value: float) -> str:
    if value.is_integer():
        return f"{int(value):_}" if abs(value) >= 10_000 else str(int(value))
    return np.format_float_positional(value, trim="-")


def _show(value: float) -> str:
    """A number for a person: whole ones in full, others to four significant digits."""
    if value.is_integer() or 1e4 <= abs(value) < 1e15:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def _short(value: object) -> str:
    text = str(value)
    return text if len(text) <= 20 else text[:17] + "..."


def load_module(path: Path, name: str = "inferred_schemas") -> ModuleType:
    """Import a schema module from any path as if it sat in `core/` (for `.field_types`)."""
    qualified = f"{CORE_PACKAGE}.{name}"
    loader = importlib.machinery.SourceFileLoader(qualified, str(path))
    spec = importlib.util.spec_from_loader(qualified, loader)
    if spec is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[qualified] = module  # pydantic resolves the annotations through it
    try:
        loader.exec_module(module)
    finally:
        del sys.modules[qualified]
    return module


def check(module: ModuleType, frame: pd.DataFrame, inferred: Inferred) -> None:
    """The draft's LabeledRecord has the inferred fields and accepts the table's first rows."""
    columns = [column.name for column in inferred.features] + [inferred.target.name]
    if list(module.LabeledRecord.model_fields) != columns:
        raise SchemaInferenceError(f"the draft's fields are not {columns} (a bug)")
    rows = frame[columns].head(CHECKED_ROWS)
    if inferred.task == "binary_classification":  # False/True and 0.0/1.0 are the labels 0/1
        rows = rows.astype({inferred.target.name: int})
    for number, row in enumerate(rows.to_dict("records")):
        values = {key: _plain(value) for key, value in row.items()}
        try:
            module.LabeledRecord.model_validate(values)
        except ValidationError as error:
            raise SchemaInferenceError(
                f"the draft refuses row {number} of the table (a bug): {error}"
            ) from error


def _plain(value: object) -> object:
    """A cell as a JSON request would carry it: None when missing, numpy scalars as Python's."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return value.item() if isinstance(value, np.generic) else value


def replace_atomically(path: Path, text: str) -> None:
    """Write `text` to a temporary file beside `path`, then rename it over `path`."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)
    # A new module of the same size in the same second would otherwise reuse the old bytecode.
    Path(importlib.util.cache_from_source(str(path))).unlink(missing_ok=True)


def write_schema(
    source: Path,
    target: str,
    id_column: str | None = None,
    time_column: str | None = None,
    output: Path | None = None,
) -> str:
    """Infer, render, check and write the schema module; return a summary for the user."""
    output = output or SCHEMAS_PATH
    frame = read_table(source)
    inferred = infer(frame, project_task(), target, id_column, time_column, source.name)
    text = render(inferred)
    with tempfile.TemporaryDirectory() as scratch:
        draft = Path(scratch) / "schemas.py"
        draft.write_text(text, encoding="utf-8")
        check(load_module(draft), frame, inferred)
    replace_atomically(output, text)
    return summary(inferred, output, source)


def summary(inferred: Inferred, output: Path, source: Path) -> str:
    """What was inferred, what was left out, and what to run next."""
    kinds: dict[str, int] = {}
    for column in inferred.features:
        kinds[column.kind] = kinds.get(column.kind, 0) + 1
    nullable = sum(column.nullable for column in inferred.features)
    shown = os.path.relpath(output)
    return "\n".join(
        [
            f"Wrote {shown} from {source} ({inferred.rows} rows; task {inferred.task}):",
            f"  target    {inferred.target.name}: {inferred.target.seen}",
            f"  id        {inferred.id_column or 'none'}",
            f"  time      {inferred.time_column or 'none'}",
            f"  features  {len(inferred.features)} ("
            + ", ".join(f"{count} {kind}" for kind, count in kinds.items())
            + f"), {nullable} of them may be missing",
            *(f"  left out  {name}: {why}" for name, why in inferred.left_out.items()),
            *(f"  note      {note}" for note in inferred.notes),
            "Next: review it (`git diff` shows the change: bounds, categories, descriptions),",
            f"then train on your table: DATA_SOURCE=file DATA_PATH={source} make all",
        ]
    )
