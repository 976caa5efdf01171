"""Write schemas.proto, the wire form of the record and the prediction, from core/schemas.py.

`make proto` runs this before protoc, so the .proto cannot drift from the schema:
edit schemas.py, never the generated file. Each message field keeps its schema
field's name, and its number is the field's place in declaration order. Every
FeatureRecord field is `optional`, so a field the client did not send is absent
rather than zero and the server can name it as missing. Bounds and categories
travel only as comments: the server checks them against the pydantic record
(categories are strings, not an enum, for that reason).

Only the standard library and pydantic: this runs before any stub exists, so it
must never import one (check.py compares the stubs with what this would write).

    python -m <package>.serving.proto.generate [OUTPUT]   (default: next to this file)
"""

from __future__ import annotations

import inspect
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from ...core.fields import FEATURES, Field, Kind, describe
from ...core.schemas import FeatureRecord, Prediction

PACKAGE = f"{__package__.partition('.')[0]}.v1" if __package__ else "app.v1"
OUTPUT = Path(__file__).with_name("schemas.proto")
PROTO_TYPES: dict[Kind, str] = {
    "float": "double",
    "int": "int64",
    "bool": "bool",
    "category": "string",
    "text": "string",
}
WIDTH = 88
HEADER = """\
// Generated from core/schemas.py by `make proto`: edit the schema, never this file.
//
// One field per field of the pydantic model, with the same name, numbered in
// declaration order. Every FeatureRecord field is `optional`, so a field the client
// did not send is absent rather than zero: the server names it as missing, or takes
// it as unknown where the schema allows `None`. Bounds and categories are checked by
// the server against the pydantic record, the single source of the schema.
syntax = "proto3";
"""


@dataclass(frozen=True)
class WireField:
    """One message field as protoc sees it: what the stubs must agree on."""

    name: str
    number: int
    type: str
    optional: bool

    @property
    def declaration(self) -> str:
        return f"{'optional ' if self.optional else ''}{self.type} {self.name} = {self.number}"


def wire_fields(fields: dict[str, Field], *, all_optional: bool = False) -> list[WireField]:
    """The message fields of a described record; a nullable field is always `optional`."""
    return [
        WireField(spec.name, number, PROTO_TYPES[spec.kind], all_optional or spec.nullable)
        for number, spec in enumerate(fields.values(), start=1)
    ]


# message name → (the pydantic record it mirrors, its fields on the wire)
MESSAGES: dict[str, tuple[type[BaseModel], list[WireField]]] = {
    "FeatureRecord": (FeatureRecord, wire_fields(FEATURES, all_optional=True)),
    "Prediction": (Prediction, wire_fields(describe(Prediction))),
}


def _number(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


def _limits(spec: Field) -> str:
    """The allowed values, as a reader of the .proto needs them."""
    low, high = spec.minimum, spec.maximum
    if low is not None and high is not None:
        opening = "(" if spec.exclusive_minimum else "["
        closing = ")" if spec.exclusive_maximum else "]"
        return f"in {opening}{_number(low)}, {_number(high)}{closing}"
    if low is not None:
        return f"{'above' if spec.exclusive_minimum else 'at least'} {_number(low)}"
    if high is not None:
        return f"{'below' if spec.exclusive_maximum else 'at most'} {_number(high)}"
    if spec.categories:
        return "one of " + ", ".join(spec.categories)
    if spec.max_length is not None:
        return f"at most {spec.max_length} characters"
    return ""


def _comment(text: str, indent: str) -> list[str]:
    return [f"{indent}// {line}" for line in textwrap.wrap(text, WIDTH - len(indent) - 3)]


def _field_comment(spec: Field) -> str:
    """The schema's description, then the allowed values: the .proto documents itself."""
    parts = [spec.description.rstrip(".") or spec.name, _limits(spec)]
    if spec.nullable:
        parts.append("absent when unknown")
    text = "; ".join(part for part in parts if part)
    return f"{text[:1].upper()}{text[1:]}."


def render() -> str:
    """The whole schemas.proto."""
    lines = [HEADER, f"package {PACKAGE};"]
    for message, (record, wire) in MESSAGES.items():
        lines.append("")
        summary = inspect.cleandoc(record.__doc__ or message).split("\n\n")[0]
        lines += _comment(" ".join(summary.split()), "")
        lines.append(f"message {message} {{")
        for spec, field in zip(describe(record).values(), wire, strict=True):
            lines += _comment(_field_comment(spec), "  ")
            lines.append(f"  {field.declaration};")
        lines.append("}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    (Path(sys.argv[1]) if len(sys.argv) > 1 else OUTPUT).write_text(render())
