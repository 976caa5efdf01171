"""Make calls with Triton's gRPC client, in a process of its own; print what it saw as JSON.

tests/test_grpc_triton.py runs this file with the project's Python. It imports no
module of the project: tritonclient.grpc registers its own definitions of the
protocol's package `inference` in protobuf's default descriptor pool, and a
process that has also imported the project's open_inference_pb2 fails on the
duplicate symbols. Standard input is {"port", "model", "calls": {label: call}};
each call names an InferenceServerClient method and its keyword arguments, or is
an `infer` built from plain rows the way a user would: each input's datatype read
from the model's metadata, its data a numpy array. Standard output is
{label: result}, where a failed call's result is {"error": {"status", "message"}}
as the client's InferenceServerException tells them.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import grpc
import numpy as np
import tritonclient.grpc as triton
from tritonclient.grpc import service_pb2, service_pb2_grpc
from tritonclient.utils import InferenceServerException, triton_to_np_dtype

# The typed-contents field of each datatype the project's records use.
CONTENTS_FIELDS = {
    "BOOL": "bool_contents",
    "INT64": "int64_contents",
    "FP64": "fp64_contents",
    "BYTES": "bytes_contents",
}


def main() -> None:
    request = json.load(sys.stdin)
    address = f"127.0.0.1:{request['port']}"
    client = triton.InferenceServerClient(address)
    # As a user would: the datatype of each input, from the model's metadata.
    metadata = client.get_model_metadata(request["model"], as_json=True)
    datatypes = {tensor["name"]: tensor["datatype"] for tensor in metadata["inputs"]}
    results = {
        label: _run(client, address, datatypes, call) for label, call in request["calls"].items()
    }
    client.close()
    json.dump(results, sys.stdout)


def _run(client: Any, address: str, datatypes: dict[str, str], call: dict[str, Any]) -> Any:
    method, arguments = call["method"], call["arguments"]
    try:
        if method == "infer":
            overrides = arguments.pop("datatypes", {})
            return _infer(client, address, {**datatypes, **overrides}, **arguments)
        if method in ("get_server_metadata", "get_model_metadata"):
            arguments = {**arguments, "as_json": True}
        return getattr(client, method)(**arguments)
    except InferenceServerException as error:
        return {"error": {"status": error.status(), "message": error.message()}}


def _infer(
    client: Any,
    address: str,
    datatypes: dict[str, str],
    model_name: str,
    rows: list[dict[str, Any]],
    model_version: str = "",
    request_id: str = "",
    outputs: list[str] | None = None,
    shapes: dict[str, list[int]] | None = None,
    typed: bool = False,
) -> dict[str, Any]:
    """Score `rows`, each input of its datatype; `shapes` overrides the shape of some inputs.

    InferInput always sends raw_input_contents; `typed` sends the same tensors as
    typed contents instead, through Triton's generated stub and messages.
    """
    inputs = []
    for name, datatype in datatypes.items():
        values = np.array([row[name] for row in rows], dtype=triton_to_np_dtype(datatype))
        infer_input = triton.InferInput(name, list(values.shape), datatype)
        infer_input.set_data_from_numpy(values)
        if shapes and name in shapes:
            infer_input.set_shape(shapes[name])
        inputs.append((infer_input, values))
    requested = [triton.InferRequestedOutput(name) for name in outputs] if outputs else None
    if typed:
        request = _typed_request(inputs, model_name, model_version, request_id, outputs or [])
        result = _infer_typed(address, request)
    else:
        result = client.infer(
            model_name,
            [infer_input for infer_input, _ in inputs],
            model_version=model_version,
            request_id=request_id,
            outputs=requested,
        )
    response = result.get_response()
    return {
        "model_name": response.model_name,
        "model_version": response.model_version,
        "id": response.id,
        "outputs": {o.name: result.as_numpy(o.name).tolist() for o in response.outputs},
    }


def _typed_request(
    inputs: list[tuple[Any, Any]],
    model_name: str,
    model_version: str,
    request_id: str,
    outputs: list[str],
) -> Any:
    """The request InferInput would send, each input's elements in its typed contents field."""
    request = service_pb2.ModelInferRequest(
        model_name=model_name, model_version=model_version, id=request_id
    )
    for infer_input, values in inputs:
        tensor = request.inputs.add(
            name=infer_input.name(), datatype=infer_input.datatype(), shape=infer_input.shape()
        )
        elements = values.tolist()
        if tensor.datatype == "BYTES":
            elements = [element.encode() for element in elements]
        getattr(tensor.contents, CONTENTS_FIELDS[tensor.datatype]).extend(elements)
    for name in outputs:
        request.outputs.add(name=name)
    return request


def _infer_typed(address: str, request: Any) -> Any:
    with grpc.insecure_channel(address) as channel:
        stub = service_pb2_grpc.GRPCInferenceServiceStub(channel)
        try:
            response = stub.ModelInfer(request, timeout=30)
        except grpc.RpcError as error:
            # What the client's own calls raise (tritonclient.grpc._utils.get_error_grpc).
            raise InferenceServerException(error.details(), str(error.code())) from None
    return triton.InferResult(response)


if __name__ == "__main__":
    main()
