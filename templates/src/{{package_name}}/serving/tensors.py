"""Open Inference Protocol tensors as feature records and predictions, for every transport.

Each feature of the record is one input tensor of shape [n] (a batch of n rows);
each field of the prediction is one output tensor. HTTP (JSON and the binary
tensor data extension) and gRPC (typed contents and raw bytes) hand their tensors
to this module as names, datatypes, shapes and either decoded values or raw
little-endian bytes, and get back validated records or encoded outputs. Every
error is an InvalidRequestError whose `loc` names the input, so each transport
answers with its own invalid-argument status and a message the client can show.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args, get_origin

import numpy as np
from pydantic import ValidationError

from ..core.fields import FEATURES
from ..core.schemas import FeatureRecord, Prediction
from .contract import InvalidRequestError, check_batch_size

Kind = Literal["bool", "int", "float", "str"]

# Little-endian numpy type of each fixed-size datatype (BYTES is length-prefixed).
NUMPY_TYPES: dict[str, str] = {
    "BOOL": "|b1",
    "UINT8": "<u1",
    "UINT16": "<u2",
    "UINT32": "<u4",
    "UINT64": "<u8",
    "INT8": "<i1",
    "INT16": "<i2",
    "INT32": "<i4",
    "INT64": "<i8",
    "FP16": "<f2",
    "FP32": "<f4",
    "FP64": "<f8",
}
DATATYPES = (*NUMPY_TYPES, "BYTES")
# What a field of each kind takes; the first is what metadata advertises and outputs use.
ACCEPTED: dict[Kind, tuple[str, ...]] = {
    "float": ("FP64", "FP32", "FP16"),
    "int": ("INT64", "INT32", "INT16", "INT8", "UINT64", "UINT32", "UINT16", "UINT8"),
    "bool": ("BOOL",),
    "str": ("BYTES",),
}
_BYTES_LENGTH = struct.Struct("<I")


def kind_of(annotation: Any) -> Kind:
    """The tensor kind of a record field's type (bool is checked before int: it is one)."""
    if annotation is bool:
        return "bool"
    if annotation is int:
        return "int"
    if annotation is float:
        return "float"
    if annotation is str or (
        get_origin(annotation) is Literal
        and all(isinstance(choice, str) for choice in get_args(annotation))
    ):
        return "str"
    raise TypeError(f"no tensor datatype for a field of type {annotation!r}")


# A field's tensor kind: strings travel as BYTES, closed categories and free text alike.
_TENSOR_KINDS: dict[str, Kind] = {
    "float": "float",
    "int": "int",
    "bool": "bool",
    "category": "str",
    "text": "str",
}
INPUTS: dict[str, Kind] = {name: _TENSOR_KINDS[spec.kind] for name, spec in FEATURES.items()}
# Inputs whose values may be missing: JSON null in a request (binary data has no null).
NULLABLE = frozenset(name for name, spec in FEATURES.items() if spec.nullable)
OUTPUTS: dict[str, Kind] = {n: kind_of(f.annotation) for n, f in Prediction.model_fields.items()}


def datatype_of(kind: Kind) -> str:
    return ACCEPTED[kind][0]


@dataclass(frozen=True)
class Tensor:
    """One tensor with its values decoded to Python scalars, flat, in row-major order."""

    name: str
    datatype: str
    shape: tuple[int, ...]
    values: list[Any]


def _error(loc: Sequence[str | int], kind: str, msg: str) -> InvalidRequestError:
    """One error located under `inputs`, as every transport names it."""
    return InvalidRequestError([{"type": kind, "loc": ["inputs", *loc], "msg": msg}])


def check_datatype(name: str, datatype: str, kinds: dict[str, Kind] = INPUTS) -> None:
    """The datatype is one the protocol defines and, for a known field, one it can hold."""
    if datatype not in DATATYPES:
        raise _error([name, "datatype"], "datatype", f"{datatype!r} is not a V2 datatype")
    if name not in kinds:
        return  # an unknown input: records_from_tensors names it with the others
    allowed = ACCEPTED[kinds[name]]
    if datatype not in allowed:
        expected = ", ".join(allowed)
        message = f"{datatype} cannot hold `{name}` ({kinds[name]}); use {expected}"
        raise _error([name, "datatype"], "datatype", message)


def element_count(name: str, shape: Sequence[int]) -> int:
    """Elements of a tensor of `shape`; negative dimensions are not shapes."""
    if any(not isinstance(dim, int) or isinstance(dim, bool) or dim < 0 for dim in shape):
        raise _error([name, "shape"], "shape", f"shape {list(shape)} has a negative dimension")
    return math.prod(shape)


def decode_binary(name: str, datatype: str, shape: Sequence[int], raw: bytes) -> Tensor:
    """Raw little-endian elements (the binary extension, gRPC raw contents) as a tensor."""
    check_datatype(name, datatype)
    count = element_count(name, shape)
    if datatype == "BYTES":
        values = _split_bytes(name, raw, count)
    else:
        dtype = np.dtype(NUMPY_TYPES[datatype])
        if len(raw) != count * dtype.itemsize:
            message = (
                f"{len(raw)} bytes do not hold shape {list(shape)} of {datatype} "
                f"({count * dtype.itemsize} bytes)"
            )
            raise _error([name, "data"], "binary_size", message)
        if datatype == "BOOL" and raw.strip(b"\x00\x01"):
            raise _error([name, "data"], "bool_type", "BOOL elements are bytes 0 or 1")
        values = np.frombuffer(raw, dtype=dtype).tolist()
    return Tensor(name, datatype, tuple(shape), values)


def _split_bytes(name: str, raw: bytes, count: int) -> list[Any]:
    """BYTES elements: each a 4-byte little-endian length, then that many bytes (UTF-8 here)."""
    values: list[Any] = []
    offset = 0
    while offset < len(raw):
        if offset + _BYTES_LENGTH.size > len(raw):
            raise _error([name, "data"], "binary_size", "truncated BYTES element length")
        (length,) = _BYTES_LENGTH.unpack_from(raw, offset)
        offset += _BYTES_LENGTH.size
        if offset + length > len(raw):
            raise _error([name, "data"], "binary_size", "truncated BYTES element")
        try:
            values.append(raw[offset : offset + length].decode())
        except UnicodeDecodeError:
            message = f"element {len(values)} is not UTF-8 text"
            raise _error([name, "data", len(values)], "string_unicode", message) from None
        offset += length
    if len(values) != count:
        message = f"{len(values)} BYTES elements for {count} in the shape"
        raise _error([name, "data"], "binary_size", message)
    return values


def decode_values(name: str, datatype: str, shape: Sequence[int], data: Any) -> Tensor:
    """Elements given as JSON-like values (HTTP JSON, gRPC typed contents), checked by type."""
    check_datatype(name, datatype)
    count = element_count(name, shape)
    if not isinstance(data, list | tuple):
        raise _error([name, "data"], "list_type", "data must be a flat list of elements")
    values = list(data)
    for index, value in enumerate(values):
        if value is None and name in NULLABLE:
            continue
        problem = _value_problem(datatype, value)
        if problem:
            raise _error([name, "data", index], "datatype", problem)
    if len(values) != count:
        message = f"{len(values)} elements for shape {list(shape)} ({count} elements)"
        raise _error([name, "shape"], "shape", message)
    if datatype.startswith("FP"):
        values = [None if value is None else float(value) for value in values]
    return Tensor(name, datatype, tuple(shape), values)


def _value_problem(datatype: str, value: Any) -> str:
    """Why `value` is not an element of `datatype` ("" if it is)."""
    if datatype == "BOOL":
        return "" if isinstance(value, bool) else f"{value!r} is not a BOOL (true or false)"
    if datatype == "BYTES":
        return "" if isinstance(value, str) else f"{value!r} is not BYTES (a string)"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"{value!r} is not a number for {datatype}"
    if datatype.startswith("FP"):
        return ""
    info = np.iinfo(np.dtype(NUMPY_TYPES[datatype]))
    if not isinstance(value, int) or not info.min <= value <= info.max:
        return f"{value!r} is not an integer of {datatype} ({info.min} to {info.max})"
    return ""


def records_from_tensors(tensors: Sequence[Tensor], limit: int) -> list[FeatureRecord]:
    """One tensor per feature, all of shape [n], as n validated records.

    Every problem is reported at once: missing, unknown and repeated inputs, wrong
    datatypes and shapes, then each invalid value located by input and row.
    """
    errors: list[dict[str, Any]] = []
    seen: set[str] = set()
    for tensor in tensors:
        if tensor.name not in INPUTS:
            errors.append(
                {"type": "extra_forbidden", "loc": ["inputs", tensor.name], "msg": "unknown input"}
            )
        elif tensor.name in seen:
            errors.append(
                {"type": "duplicate", "loc": ["inputs", tensor.name], "msg": "input given twice"}
            )
        seen.add(tensor.name)
        if len(tensor.shape) != 1:
            message = f"shape {list(tensor.shape)} is not [n]: one value per row"
            loc = ["inputs", tensor.name, "shape"]
            errors.append({"type": "shape", "loc": loc, "msg": message})
    errors += [
        {"type": "missing", "loc": ["inputs", name], "msg": "input tensor missing"}
        for name in INPUTS
        if name not in seen
    ]
    if errors:
        raise InvalidRequestError(errors)
    rows = {tensor.shape[0] for tensor in tensors}
    if len(rows) > 1:
        sizes = ", ".join(f"{t.name}: {t.shape[0]}" for t in tensors)
        raise _error([], "shape", f"inputs have different batch sizes ({sizes})")
    count = rows.pop()
    check_batch_size(count, limit, ["inputs"])
    columns = {tensor.name: tensor.values for tensor in tensors}
    records: list[FeatureRecord] = []
    for row in range(count):
        try:
            records.append(
                FeatureRecord.model_validate({name: columns[name][row] for name in INPUTS})
            )
        except ValidationError as error:
            errors += [
                {"type": d["type"], "loc": ["inputs", *d["loc"], "data", row], "msg": d["msg"]}
                for d in error.errors(include_url=False, include_input=False)
            ]
    if errors:
        raise InvalidRequestError(errors)
    return records


def output_tensors(predictions: Sequence[Prediction], names: Sequence[str]) -> list[Tensor]:
    """The requested prediction fields, each a tensor of shape [n]."""
    return [
        Tensor(
            name,
            datatype_of(OUTPUTS[name]),
            (len(predictions),),
            [getattr(prediction, name) for prediction in predictions],
        )
        for name in names
    ]


def encode_binary(tensor: Tensor) -> bytes:
    """A tensor's elements as the binary extension and gRPC raw contents carry them."""
    if tensor.datatype == "BYTES":
        parts = [str(value).encode() for value in tensor.values]
        return b"".join(_BYTES_LENGTH.pack(len(part)) + part for part in parts)
    return np.asarray(tensor.values, dtype=NUMPY_TYPES[tensor.datatype]).tobytes()


def tensor_metadata(kinds: dict[str, Kind]) -> list[dict[str, Any]]:
    """Name, advertised datatype and shape ([-1]: any batch size) of each tensor."""
    return [
        {"name": name, "datatype": datatype_of(kind), "shape": [-1]} for name, kind in kinds.items()
    ]
