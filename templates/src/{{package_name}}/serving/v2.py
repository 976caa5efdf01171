"""The Open Inference Protocol (KServe V2) over the same feature record.

Each feature is one named input tensor of shape [n]; each field of the prediction
is one output tensor. Standard V2 clients (KServe, Triton, MLServer tooling) can
call this server without knowing anything about the project.
"""

from __future__ import annotations

from typing import Any, Literal, get_origin

from pydantic import BaseModel, Field, ValidationError

from ..core.predictor import ModelMetadata
from ..core.schemas import FeatureRecord, Prediction
from .contract import InvalidRequestError

Datatype = Literal[
    "BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64",
    "FP16", "FP32", "FP64", "BYTES",
]  # fmt: skip
_DATATYPES: dict[Any, str] = {bool: "BOOL", int: "INT64", float: "FP64", str: "BYTES"}


class TensorInput(BaseModel):
    name: str
    shape: list[int]
    datatype: Datatype
    data: list[Any]
    parameters: dict[str, Any] | None = None


class TensorOutput(BaseModel):
    name: str
    shape: list[int]
    datatype: str
    data: list[Any]


class InferenceRequest(BaseModel):
    id: str | None = None
    parameters: dict[str, Any] | None = None
    inputs: list[TensorInput] = Field(min_length=1)
    outputs: list[dict[str, Any]] | None = None


class InferenceResponse(BaseModel):
    model_name: str
    model_version: str | None
    id: str | None
    outputs: list[TensorOutput]


def _datatype(annotation: Any) -> str:
    return "BYTES" if get_origin(annotation) is Literal else _DATATYPES[annotation]


def records_from_inputs(inputs: list[TensorInput]) -> list[FeatureRecord]:
    """Columns in, validated records out; every error is located by input and row."""
    columns = {tensor.name: tensor for tensor in inputs}
    expected = list(FeatureRecord.model_fields)
    errors: list[dict[str, Any]] = [
        {"type": "missing", "loc": ["body", "inputs", name], "msg": "input tensor missing"}
        for name in expected
        if name not in columns
    ]
    errors += [
        {"type": "extra_forbidden", "loc": ["body", "inputs", name], "msg": "unknown input"}
        for name in columns
        if name not in FeatureRecord.model_fields
    ]
    lengths = {name: len(tensor.data) for name, tensor in columns.items()}
    for name, tensor in columns.items():
        size = 1
        for dim in tensor.shape:
            size *= dim
        if size != lengths[name] or not tensor.shape:
            errors.append(
                {
                    "type": "shape_mismatch",
                    "loc": ["body", "inputs", name, "shape"],
                    "msg": f"shape {tensor.shape} does not match {lengths[name]} values",
                }
            )
    if not errors and len(set(lengths.values())) > 1:
        errors.append(
            {
                "type": "shape_mismatch",
                "loc": ["body", "inputs"],
                "msg": f"lengths differ: {lengths}",
            }
        )
    if errors:
        raise InvalidRequestError(errors)

    records: list[FeatureRecord] = []
    for row in range(next(iter(lengths.values()))):
        try:
            records.append(
                FeatureRecord.model_validate({name: columns[name].data[row] for name in expected})
            )
        except ValidationError as error:
            errors += [
                {
                    "type": detail["type"],
                    "loc": ["body", "inputs", *detail["loc"], "data", row],
                    "msg": detail["msg"],
                }
                for detail in error.errors(include_url=False)
            ]
    if not records and not errors:
        errors.append({"type": "too_short", "loc": ["body", "inputs"], "msg": "empty batch"})
    if errors:
        raise InvalidRequestError(errors)
    return records


def outputs_from_predictions(predictions: list[Prediction]) -> list[TensorOutput]:
    """One output tensor per prediction field."""
    return [
        TensorOutput(
            name=name,
            shape=[len(predictions)],
            datatype=_datatype(info.annotation),
            data=[getattr(p, name) for p in predictions],
        )
        for name, info in Prediction.model_fields.items()
    ]


def model_metadata(metadata: ModelMetadata) -> dict[str, Any]:
    """The V2 model metadata document."""
    return {
        "name": metadata.name,
        "versions": [metadata.version] if metadata.version else [],
        "platform": metadata.framework,
        "inputs": [
            {"name": name, "datatype": _datatype(info.annotation), "shape": [-1]}
            for name, info in FeatureRecord.model_fields.items()
        ],
        "outputs": [
            {"name": name, "datatype": _datatype(info.annotation), "shape": [-1]}
            for name, info in Prediction.model_fields.items()
        ],
    }
