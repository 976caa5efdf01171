"""What each column of the record schema is, read once from `schemas.py`.

Everything that depends on the data's shape asks here instead of inspecting pydantic
types itself: the lake validation, the feature transform, the serving tensors, the
gRPC `.proto`, the sample generator and the generated tests. A field type this module
does not know fails at import with a message naming the field, so a new schema is
either usable everywhere or refused at once.
"""

from __future__ import annotations

import types
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel

from .schemas import FeatureRecord

Kind = Literal["float", "int", "bool", "category", "text"]
SUPPORTED = (
    "float, Integer (int), bool, Literal['a', 'b', ...] (categories) or str (free text), "
    "each optionally `| None` (may be missing)"
)


class UnsupportedFieldError(TypeError):
    """A schema field whose type nothing downstream can handle."""


@dataclass(frozen=True)
class Field:
    """One column: its kind, whether it may be missing, and what values it allows."""

    name: str
    kind: Kind
    nullable: bool = False
    description: str = ""
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    exclusive_maximum: bool = False
    categories: tuple[str, ...] = ()  # the closed set of a "category" field
    max_length: int | None = None  # of a "text" field

    @property
    def numeric(self) -> bool:
        """Numbers and booleans, which the model takes as they are (booleans as 0/1)."""
        return self.kind in ("float", "int", "bool")

    @property
    def categorical(self) -> bool:
        """Strings, which the feature transform encodes (closed categories or free text)."""
        return self.kind in ("category", "text")

    def allows(self, value: float) -> bool:
        """Whether a number lies within the field's bounds."""
        low_ok = self.minimum is None or (
            value > self.minimum if self.exclusive_minimum else value >= self.minimum
        )
        high_ok = self.maximum is None or (
            value < self.maximum if self.exclusive_maximum else value <= self.maximum
        )
        return low_ok and high_ok


def _without_none(annotation: Any) -> tuple[Any, bool]:
    """`X | None` → (X, True); anything else → (annotation, False)."""
    if get_origin(annotation) in (Union, types.UnionType):
        members = [member for member in get_args(annotation) if member is not type(None)]
        if len(members) == 1 and len(get_args(annotation)) == 2:
            return members[0], True
    return annotation, False


def _kind(name: str, annotation: Any) -> tuple[Kind, tuple[str, ...]]:
    if get_origin(annotation) is Annotated:  # e.g. Integer inside `Integer | None`
        annotation = get_args(annotation)[0]
    if annotation is bool:
        return "bool", ()
    if annotation is int:
        return "int", ()
    if annotation is float:
        return "float", ()
    if annotation is str:
        return "text", ()
    if get_origin(annotation) is Literal:
        choices = get_args(annotation)
        if choices and all(isinstance(choice, str) for choice in choices):
            return "category", tuple(choices)
    raise UnsupportedFieldError(
        f"field {name!r} has type {annotation!r}, which this project cannot train on or "
        f"serve; use {SUPPORTED}"
    )


def describe(record: type[BaseModel]) -> dict[str, Field]:
    """Every field of a pydantic record, in declaration order."""
    described: dict[str, Field] = {}
    for name, info in record.model_fields.items():
        annotation, nullable = _without_none(info.annotation)
        kind, categories = _kind(name, annotation)
        bounds: dict[str, Any] = {}
        for item in info.metadata:
            if isinstance(item, annotated_types.Gt):
                bounds.update(minimum=float(item.gt), exclusive_minimum=True)  # type: ignore[arg-type]
            elif isinstance(item, annotated_types.Ge):
                bounds.update(minimum=float(item.ge))  # type: ignore[arg-type]
            elif isinstance(item, annotated_types.Lt):
                bounds.update(maximum=float(item.lt), exclusive_maximum=True)  # type: ignore[arg-type]
            elif isinstance(item, annotated_types.Le):
                bounds.update(maximum=float(item.le))  # type: ignore[arg-type]
            elif isinstance(item, annotated_types.MaxLen):
                bounds.update(max_length=item.max_length)
        described[name] = Field(
            name=name,
            kind=kind,
            nullable=nullable,
            description=info.description or "",
            categories=categories,
            **bounds,
        )
    return described


FEATURES: dict[str, Field] = describe(FeatureRecord)
