"""The Open Inference Protocol (KServe V2) over HTTP, the same for every HTTP adapter.

Each operation of the protocol is a method of `V2Service` that takes what came
over the wire (path values, raw body bytes, headers) and returns an `Answer`
(status, body, media type, headers); the adapters only route and copy bytes.
Inputs are one tensor per feature (serving/tensors.py), as JSON or with the
binary tensor data extension (`Inference-Header-Content-Length`); outputs come
back as JSON or binary, as the request's `binary_data_output` and each output's
`binary_data` parameter ask. Failures answer `{"error": "..."}` naming the field:
400 for a bad request, 404 for a model or version not served here, 413/415 for a
body the server does not read, 503 while no model is loaded.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
)

from ..core.predictor import ModelMetadata, Predictor
from ..core.schemas import FeatureRecord, Prediction
from ..settings import PROJECT_NAME, Settings
from . import telemetry
from .champion import ServedModel
from .contract import InvalidRequestError
from .http_io import (
    BINARY_MEDIA_TYPE,
    JSON_MEDIA_TYPE,
    Answer,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
    check_media_type,
    decode_body,
    json_answer,
    parse_json,
)
from .tensors import (
    INPUTS,
    OUTPUTS,
    Tensor,
    decode_binary,
    decode_values,
    encode_binary,
    output_tensors,
    records_from_tensors,
    tensor_metadata,
)

HEADER_LENGTH = "Inference-Header-Content-Length"
EXTENSIONS = ("binary_tensor_data",)
Scalar = StrictBool | StrictInt | StrictFloat | StrictStr


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class RequestInput(_Strict):
    name: str
    shape: list[int]
    datatype: str
    parameters: dict[str, Scalar] = Field(default_factory=dict)
    data: list[Any] | None = None


class RequestOutput(_Strict):
    name: str
    parameters: dict[str, Scalar] = Field(default_factory=dict)


class InferenceRequest(_Strict):
    """The JSON part of an infer request, checked for structure only (tensors.py does values)."""

    id: str | None = None
    parameters: dict[str, Scalar] = Field(default_factory=dict)
    inputs: list[RequestInput] = Field(min_length=1)
    outputs: list[RequestOutput] | None = None


def error_answer(status: int, message: str) -> Answer:
    """The protocol's error object: a message the client shows as it is."""
    return json_answer({"error": message}, status)


class NotServedError(LookupError):
    """The model or version in the path is not the one this server holds (404)."""


class NotLoadedError(RuntimeError):
    """The server is up but holds no model yet, or failed to load it (503)."""


@dataclass(frozen=True)
class InferRequest:
    """A decoded infer request: validated records and the outputs to return, and how."""

    id: str | None
    records: list[FeatureRecord]
    outputs: list[tuple[str, bool]]  # (output name, as binary)


def parse_infer(body: bytes, headers: Mapping[str, str], limit: int) -> InferRequest:
    """JSON with inline data, or a JSON header followed by binary tensor data.

    `headers` are lower-case. Raises InvalidRequestError (400) or
    UnsupportedMediaTypeError (415).
    """
    header_length = headers.get(HEADER_LENGTH.lower())
    if header_length is None:
        check_media_type(headers, JSON_MEDIA_TYPE)
        document, binary = parse_json(body), b""
    else:
        check_media_type(headers, BINARY_MEDIA_TYPE, JSON_MEDIA_TYPE)
        split = _header_length(header_length, len(body))
        document, binary = parse_json(body[:split]), body[split:]
    try:
        request = InferenceRequest.model_validate(document)
    except ValidationError as error:
        raise InvalidRequestError(
            [
                {"type": d["type"], "loc": list(d["loc"]), "msg": d["msg"]}
                for d in error.errors(include_url=False, include_input=False)
            ]
        ) from None
    tensors = _tensors(request.inputs, binary, with_header=header_length is not None)
    records = records_from_tensors(tensors, limit)
    return InferRequest(request.id, records, _outputs(request))


def _header_length(value: str, size: int) -> int:
    try:
        length = int(value)
    except ValueError:
        length = -1
    if not 0 < length <= size:
        message = f"{HEADER_LENGTH} {value!r} is not a length within the {size}-byte body"
        loc: list[str | int] = ["headers", HEADER_LENGTH]
        raise InvalidRequestError([{"type": "header", "loc": loc, "msg": message}])
    return length


def _tensors(inputs: Sequence[RequestInput], binary: bytes, *, with_header: bool) -> list[Tensor]:
    """Each input from its inline data, or from its slice of the binary part, in order."""
    tensors: list[Tensor] = []
    offset = 0
    for tensor in inputs:
        size = tensor.parameters.get("binary_data_size")
        if size is None:
            if tensor.data is None:
                message = "data missing (give `data`, or binary_data_size with binary data)"
                raise _invalid(["inputs", tensor.name, "data"], message)
            tensors.append(decode_values(tensor.name, tensor.datatype, tensor.shape, tensor.data))
            continue
        if not with_header:
            message = f"binary_data_size needs the {HEADER_LENGTH} header and binary data"
            raise _invalid(["inputs", tensor.name, "parameters", "binary_data_size"], message)
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise _invalid(["inputs", tensor.name, "parameters", "binary_data_size"], "not a size")
        if tensor.data is not None:
            raise _invalid(["inputs", tensor.name, "data"], "data given with binary_data_size")
        if offset + size > len(binary):
            message = f"binary_data_size {size} runs past the {len(binary)} bytes of binary data"
            raise _invalid(["inputs", tensor.name, "parameters", "binary_data_size"], message)
        raw = binary[offset : offset + size]
        offset += size
        tensors.append(decode_binary(tensor.name, tensor.datatype, tensor.shape, raw))
    if offset != len(binary):
        message = f"{len(binary) - offset} bytes of binary data belong to no input"
        raise _invalid(["body"], message)
    return tensors


def _outputs(request: InferenceRequest) -> list[tuple[str, bool]]:
    """The requested outputs (all by default) and whether each goes back as binary."""
    default = request.parameters.get("binary_data_output", False)
    if not isinstance(default, bool):
        raise _invalid(["parameters", "binary_data_output"], "binary_data_output is true or false")
    if request.outputs is None:
        return [(name, default) for name in OUTPUTS]
    chosen: list[tuple[str, bool]] = []
    for output in request.outputs:
        if output.name not in OUTPUTS:
            message = f"unknown output; this model has {', '.join(OUTPUTS)}"
            raise _invalid(["outputs", output.name], message)
        if "classification" in output.parameters:
            message = "the classification extension is not supported"
            raise _invalid(["outputs", output.name, "parameters", "classification"], message)
        binary = output.parameters.get("binary_data", default)
        if not isinstance(binary, bool):
            raise _invalid(["outputs", output.name, "parameters", "binary_data"], "true or false")
        chosen.append((output.name, binary))
    return chosen


def _invalid(loc: list[str | int], message: str) -> InvalidRequestError:
    return InvalidRequestError([{"type": "value_error", "loc": loc, "msg": message}])


def encode_infer(
    request: InferRequest, predictions: Sequence[Prediction], metadata: ModelMetadata
) -> Answer:
    """The infer response; outputs asked as binary follow the JSON header, in order."""
    names = [name for name, _ in request.outputs]
    binary_names = {name for name, binary in request.outputs if binary}
    outputs: list[dict[str, Any]] = []
    chunks: list[bytes] = []
    for tensor in output_tensors(predictions, names):
        output: dict[str, Any] = {
            "name": tensor.name,
            "datatype": tensor.datatype,
            "shape": list(tensor.shape),
        }
        if tensor.name in binary_names:
            chunk = encode_binary(tensor)
            chunks.append(chunk)
            output["parameters"] = {"binary_data_size": len(chunk)}
        else:
            output["data"] = tensor.values
        outputs.append(output)
    document: dict[str, Any] = {"model_name": metadata.name, "outputs": outputs}
    if metadata.version is not None:
        document["model_version"] = metadata.version
    if request.id is not None:
        document["id"] = request.id
    header = json.dumps(document, allow_nan=False).encode()
    if not chunks:
        return Answer(200, header)
    headers = ((HEADER_LENGTH, str(len(header))),)
    return Answer(200, header + b"".join(chunks), BINARY_MEDIA_TYPE, headers)


def server_version() -> str:
    try:
        return version(PROJECT_NAME)
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0+unknown"


class V2Service:
    """The protocol's operations over whichever model the server holds at the time."""

    def __init__(self, settings: Settings, served: ServedModel) -> None:
        self.settings = settings
        self._model = served

    def answer(self, operation: Callable[[], Answer]) -> Answer:
        """Run one operation, turning every expected failure into its protocol answer."""
        try:
            return operation()
        except InvalidRequestError as error:
            telemetry.ERRORS.labels("invalid_request").inc()
            return error_answer(400, str(error))
        except UnsupportedMediaTypeError as error:
            telemetry.ERRORS.labels("invalid_request").inc()
            return error_answer(415, str(error))
        except PayloadTooLargeError as error:
            telemetry.ERRORS.labels("invalid_request").inc()
            return error_answer(413, str(error))
        except NotServedError as error:
            return error_answer(404, str(error))
        except NotLoadedError as error:
            return error_answer(503, str(error))

    def _loaded(self) -> Predictor:
        model = self._model()
        if model is None:
            raise NotLoadedError("model not loaded")
        return model

    def _served(self, name: str, version: str | None) -> Predictor:
        model = self._loaded()
        metadata = model.metadata
        if name != metadata.name:
            raise NotServedError(f"model {name!r} is not served here (this is {metadata.name!r})")
        if version is not None and version != metadata.version:
            served = f"version {metadata.version}" if metadata.version else "no versions"
            raise NotServedError(f"version {version!r} of {name!r} is not served here ({served})")
        return model

    def server_live(self) -> Answer:
        return json_answer({"live": True})

    def server_ready(self) -> Answer:
        def ready() -> Answer:
            self._loaded()
            return json_answer({"ready": True})

        return self.answer(ready)

    def server_metadata(self) -> Answer:
        document = {"name": PROJECT_NAME, "version": server_version(), "extensions": EXTENSIONS}
        return json_answer(document)

    def model_ready(self, name: str, version: str | None = None) -> Answer:
        def ready() -> Answer:
            self._served(name, version)
            return json_answer({"name": name, "ready": True})

        return self.answer(ready)

    def model_metadata(self, name: str, version: str | None = None) -> Answer:
        return self.answer(
            lambda: json_answer(model_metadata(self._served(name, version).metadata))
        )

    def infer(
        self, name: str, version: str | None, body: bytes, headers: Mapping[str, str]
    ) -> Answer:
        """Score the request's records; `headers` must have lower-case names."""

        def run() -> Answer:
            model = self._served(name, version)
            decoded = decode_body(body, headers, self.settings.max_request_bytes)
            request = parse_infer(decoded, headers, self.settings.max_batch_size)
            predictions = self._model.predict(model, request.records)
            return encode_infer(request, predictions, model.metadata)

        return self.answer(run)


def model_metadata(metadata: ModelMetadata) -> dict[str, Any]:
    """The V2 model metadata document."""
    return {
        "name": metadata.name,
        "versions": [metadata.version] if metadata.version else [],
        "platform": metadata.framework,
        "inputs": tensor_metadata(INPUTS),
        "outputs": tensor_metadata(OUTPUTS),
    }
