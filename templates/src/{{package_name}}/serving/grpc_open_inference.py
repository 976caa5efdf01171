"""The Open Inference Protocol's gRPC service (`inference.GRPCInferenceService`).

A thin adapter like the typed service beside it: tensors come off the wire as
typed `contents` or `raw_input_contents`, serving/tensors.py turns them into
validated records, the core Predictor scores them, and the outputs go back as
`raw_output_contents`, the form stock clients (tritonclient's `as_numpy`) decode.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

import grpc

from ..settings import PROJECT_NAME
from .contract import InvalidRequestError
from .grpc_common import ServedModel, rpc
from .proto import open_inference_pb2 as oip
from .proto import open_inference_pb2_grpc as oip_grpc
from .tensors import (
    INPUTS,
    OUTPUTS,
    Tensor,
    check_datatype,
    decode_binary,
    decode_values,
    encode_binary,
    output_tensors,
    records_from_tensors,
    tensor_metadata,
)

SERVICE = oip.DESCRIPTOR.services_by_name["GRPCInferenceService"].full_name
# The repeated field of InferTensorContents that holds each datatype (FP16 is raw only).
CONTENTS_FIELDS = {
    "BOOL": "bool_contents",
    "INT8": "int_contents",
    "INT16": "int_contents",
    "INT32": "int_contents",
    "INT64": "int64_contents",
    "UINT8": "uint_contents",
    "UINT16": "uint_contents",
    "UINT32": "uint_contents",
    "UINT64": "uint64_contents",
    "FP32": "fp32_contents",
    "FP64": "fp64_contents",
    "BYTES": "bytes_contents",
}

InputTensor = oip.ModelInferRequest.InferInputTensor
TensorMetadata = oip.ModelMetadataResponse.TensorMetadata


class OpenInferenceServicer(oip_grpc.GRPCInferenceServiceServicer):
    """The protocol's six RPCs; method names are the RPC names, hence N802."""

    def __init__(self, served: ServedModel) -> None:
        self.served = served

    def ServerLive(  # noqa: N802
        self, request: oip.ServerLiveRequest, context: grpc.ServicerContext
    ) -> oip.ServerLiveResponse:
        return oip.ServerLiveResponse(live=True)

    def ServerReady(  # noqa: N802
        self, request: oip.ServerReadyRequest, context: grpc.ServicerContext
    ) -> oip.ServerReadyResponse:
        return oip.ServerReadyResponse(ready=self.served() is not None)

    def ServerMetadata(  # noqa: N802
        self, request: oip.ServerMetadataRequest, context: grpc.ServicerContext
    ) -> oip.ServerMetadataResponse:
        return oip.ServerMetadataResponse(name=PROJECT_NAME, version=server_version())

    def ModelReady(  # noqa: N802
        self, request: oip.ModelReadyRequest, context: grpc.ServicerContext
    ) -> oip.ModelReadyResponse:
        with rpc("ModelReady", context):
            # Not ready while loading (any name); once loaded, another name is NOT_FOUND.
            if self.served() is None:
                return oip.ModelReadyResponse(ready=False)
            self.served.named(request.name, request.version)
            return oip.ModelReadyResponse(ready=True)

    def ModelMetadata(  # noqa: N802
        self, request: oip.ModelMetadataRequest, context: grpc.ServicerContext
    ) -> oip.ModelMetadataResponse:
        with rpc("ModelMetadata", context):
            metadata = self.served.named(request.name, request.version).metadata
            return oip.ModelMetadataResponse(
                name=metadata.name,
                versions=[metadata.version] if metadata.version else [],
                platform=metadata.framework,
                inputs=[TensorMetadata(**tensor) for tensor in tensor_metadata(INPUTS)],
                outputs=[TensorMetadata(**tensor) for tensor in tensor_metadata(OUTPUTS)],
            )

    def ModelInfer(  # noqa: N802
        self, request: oip.ModelInferRequest, context: grpc.ServicerContext
    ) -> oip.ModelInferResponse:
        with rpc("ModelInfer", context):
            model = self.served.named(request.model_name, request.model_version)
            names = requested_outputs(request)
            limit = self.served.settings.max_batch_size
            records = records_from_tensors(input_tensors(request), limit)
            predictions = self.served.predict(model, records)
            response = oip.ModelInferResponse(
                model_name=model.metadata.name,
                model_version=model.metadata.version or "",
                id=request.id,
            )
            for tensor in output_tensors(predictions, names):
                response.outputs.add(name=tensor.name, datatype=tensor.datatype, shape=tensor.shape)
                response.raw_output_contents.append(encode_binary(tensor))
            return response


def server_version() -> str:
    try:
        return version(PROJECT_NAME)
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0+unknown"


def input_tensors(request: oip.ModelInferRequest) -> list[Tensor]:
    """Each input with its elements, from its typed contents or its raw bytes.

    An input this model does not have keeps no elements: records_from_tensors
    names it among every other structural problem.
    """
    raw = request.raw_input_contents
    if raw and len(raw) != len(request.inputs):
        message = f"{len(raw)} raw contents for {len(request.inputs)} inputs: give one per input"
        raise _invalid(["raw_input_contents"], message)
    tensors: list[Tensor] = []
    for index, tensor in enumerate(request.inputs):
        name, datatype, shape = tensor.name, tensor.datatype, tuple(tensor.shape)
        if name not in INPUTS:
            tensors.append(Tensor(name, datatype, shape, []))
            continue
        if any(key.startswith("shared_memory") for key in tensor.parameters):
            message = "shared memory is not supported: send contents or raw_input_contents"
            raise _invalid(["inputs", name, "parameters"], message)
        check_datatype(name, datatype)
        if raw:
            if tensor.contents.ListFields():
                message = "contents given with raw_input_contents: send one or the other"
                raise _invalid(["inputs", name, "contents"], message)
            tensors.append(decode_binary(name, datatype, shape, raw[index]))
        else:
            tensors.append(decode_values(name, datatype, shape, _typed_values(tensor)))
    return tensors


def _typed_values(tensor: InputTensor) -> list[Any]:
    """The elements in the contents field of the tensor's datatype, BYTES as text."""
    name, datatype = tensor.name, tensor.datatype
    field = CONTENTS_FIELDS.get(datatype)
    if field is None:
        message = f"{datatype} has no typed contents: send it in raw_input_contents"
        raise _invalid(["inputs", name, "contents"], message)
    others = [f.name for f, _ in tensor.contents.ListFields() if f.name != field]
    if others:
        message = f"{datatype} elements go in {field}, not {', '.join(others)}"
        raise _invalid(["inputs", name, "contents"], message)
    values: list[Any] = list(getattr(tensor.contents, field))
    if datatype != "BYTES":
        return values
    texts: list[str] = []
    for index, value in enumerate(values):
        try:
            texts.append(value.decode())
        except UnicodeDecodeError:
            raise _invalid(["inputs", name, "data", index], "not UTF-8 text") from None
    return texts


def requested_outputs(request: oip.ModelInferRequest) -> list[str]:
    """The names of the outputs asked for, in order; all of them when none is named."""
    if not request.outputs:
        return list(OUTPUTS)
    for output in request.outputs:
        if output.name not in OUTPUTS:
            message = f"unknown output; this model has {', '.join(OUTPUTS)}"
            raise _invalid(["outputs", output.name], message)
        if "classification" in output.parameters:
            message = "the classification extension is not supported"
            raise _invalid(["outputs", output.name, "parameters", "classification"], message)
    return [output.name for output in request.outputs]


def _invalid(loc: list[str | int], message: str) -> InvalidRequestError:
    return InvalidRequestError([{"type": "value_error", "loc": loc, "msg": message}])
