"""A client for this project's gRPC server, with the interface of the REST projects' client.

Used by `make bench`, by the contract tests, and by anyone who wants to call the
server from Python with plain dicts. A value that cannot be put in its typed field
("abc" for a number, a field the schema lacks) cannot be sent at all: it is
rejected here, with the error the server gives for everything else.
"""

from __future__ import annotations

import http.client
from numbers import Integral, Real
from typing import Any

import grpc
from google.protobuf import json_format
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2
from grpc_status import rpc_status

from .contract import InvalidRequestError
from .proto import LIVENESS, inference_pb2, inference_pb2_grpc, metrics_port, schemas_pb2
from .proto.check import check_stubs
from .tensors import NULLABLE

SERVING = health_pb2.HealthCheckResponse.SERVING
# Reconnect within a second to a server that is starting, instead of backing off for minutes.
OPTIONS = [("grpc.initial_reconnect_backoff_ms", 100), ("grpc.max_reconnect_backoff_ms", 1000)]
# What each wire type takes, as strictly as the pydantic record: no bool as a number.
_ACCEPTS: dict[int, tuple[type, str, str]] = {
    FieldDescriptor.TYPE_DOUBLE: (Real, "float_type", "Input should be a valid number"),
    FieldDescriptor.TYPE_INT64: (Integral, "int_type", "Input should be a valid integer"),
    FieldDescriptor.TYPE_BOOL: (bool, "bool_type", "Input should be a valid boolean"),
    FieldDescriptor.TYPE_STRING: (str, "string_type", "Input should be a valid string"),
}


class ServingClient:
    """One channel to the server (thread-safe, but `make bench` gives each thread its own)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 8000, timeout: float = 30) -> None:
        check_stubs()  # stubs from another schema could not send the records schemas.py describes
        self.host, self.port, self.timeout = host, port, timeout
        self._channel = grpc.insecure_channel(f"{host}:{port}", options=OPTIONS)
        self._inference = inference_pb2_grpc.InferenceServiceStub(self._channel)
        # The standard health service's Check, typed (typeshed's HealthStub declares no methods).
        self._health_check = self._channel.unary_unary(
            "/grpc.health.v1.Health/Check",
            request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
            response_deserializer=health_pb2.HealthCheckResponse.FromString,
        )

    def _status(self, service: str) -> int | None:
        request = health_pb2.HealthCheckRequest(service=service)
        try:
            return self._health_check(request, timeout=self.timeout).status
        except grpc.RpcError:
            return None

    def live(self) -> bool:
        return self._status(LIVENESS) == SERVING

    def ready(self) -> bool:
        return self._status("") == SERVING

    def metadata(self) -> dict[str, Any]:
        """The model's description, with the keys and values of REST's GET /v1/model."""
        message = self._inference.GetModelMetadata(
            inference_pb2.GetModelMetadataRequest(), timeout=self.timeout
        )
        document = json_format.MessageToDict(
            message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
        )
        return {field.name: document.get(field.name) for field in message.DESCRIPTOR.fields}

    def predict(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Predictions for `records`; an invalid batch raises InvalidRequestError."""
        request = to_request(records)
        try:
            response = self._inference.Predict(request, timeout=self.timeout)
        except grpc.RpcError as error:
            if error.code() == grpc.StatusCode.INVALID_ARGUMENT:
                raise InvalidRequestError(_errors(error)) from None
            raise
        return [_as_dict(prediction) for prediction in response.predictions]

    def metrics(self) -> str:
        """The Prometheus exposition, fetched over HTTP from the metrics port."""
        connection = http.client.HTTPConnection(self.host, metrics_port(self.port), self.timeout)
        try:
            connection.request("GET", "/metrics")
            return connection.getresponse().read().decode()
        finally:
            connection.close()

    def close(self) -> None:
        self._channel.close()


def to_request(records: list[dict[str, Any]]) -> inference_pb2.PredictRequest:
    """Build the request, or raise InvalidRequestError for every value that does not fit."""
    request = inference_pb2.PredictRequest()
    errors: list[dict[str, Any]] = []
    for index, row in enumerate(records):
        message = request.records.add()
        for name, value in row.items():
            problem = _set(message, name, value)
            if problem:
                kind, msg = problem
                errors.append({"type": kind, "loc": ["records", index, name], "msg": msg})
    if errors:
        raise InvalidRequestError(errors)
    return request


def _set(message: schemas_pb2.FeatureRecord, name: str, value: Any) -> tuple[str, str] | None:
    """Put one value in its field; (type, msg) as pydantic would say them if it does not fit."""
    field = message.DESCRIPTOR.fields_by_name.get(name)
    if field is None:
        return "extra_forbidden", "Extra inputs are not permitted"
    if value is None and name in NULLABLE:
        return None  # no null on the wire: the field stays absent, which the server reads as None
    accepted, kind, msg = _ACCEPTS[field.type]
    if field.type == FieldDescriptor.TYPE_INT64 and isinstance(value, float) and value.is_integer():
        value = int(value)  # JSON's 3.0 is the integer 3, as the REST servers read it
    # bool is an int in Python, but the strict record takes no bool as a number.
    is_bool_field = field.type == FieldDescriptor.TYPE_BOOL
    if not isinstance(value, accepted) or isinstance(value, bool) != is_bool_field:
        return kind, msg
    try:
        setattr(message, name, value)
    except ValueError:  # an integer beyond int64
        return kind, msg
    return None


def _as_dict(prediction: Message) -> dict[str, Any]:
    """Every field; an `optional` one the server left unset is None, as in the pydantic record."""
    return {
        field.name: getattr(prediction, field.name)
        if not field.has_presence or prediction.HasField(field.name)
        else None
        for field in prediction.DESCRIPTOR.fields
    }


def _errors(error: grpc.RpcError) -> list[dict[str, Any]]:
    """The server's field violations (google.rpc.BadRequest in the rich status) as errors.

    Anything else that is INVALID_ARGUMENT (bytes the server could not parse)
    becomes one error on the whole batch, with the status message.
    """
    status = rpc_status.from_call(error) if isinstance(error, grpc.Call) else None
    details: list[Any] = list(status.details) if status else []
    errors: list[dict[str, Any]] = []
    for detail in details:
        bad_request = error_details_pb2.BadRequest()
        if detail.Unpack(bad_request):
            errors += [
                {
                    "type": violation.reason.lower() or "invalid_argument",
                    "loc": [int(p) if p.isdigit() else p for p in violation.field.split(".")],
                    "msg": violation.description,
                }
                for violation in bad_request.field_violations
            ]
    whole_batch = {"type": "invalid_argument", "loc": ["records"], "msg": error.details() or ""}
    return errors or [whole_batch]
