"""What both gRPC services share: the model they serve, and how their calls fail.

Every RPC runs inside `rpc()`, which counts and times it and turns the shared
errors into the protocol's status codes: InvalidRequestError is INVALID_ARGUMENT
with google.rpc.BadRequest details (the rich status clients read from the
`grpc-status-details-bin` trailer), a model or version this server does not hold
is NOT_FOUND, no model yet is UNAVAILABLE, and only a bug is INTERNAL.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from ..core.predictor import Predictor
from . import champion, telemetry
from .contract import InvalidRequestError

logger = logging.getLogger(__name__)
# Status details travel in HTTP/2 trailers, which clients cap (8 KiB soft, 16 KiB hard):
# the message is sent twice (grpc-message and inside the status), the details once,
# base64-encoded. These limits keep the whole trailer near 6 KiB.
MESSAGE_LIMIT = 1024
DETAILS_LIMIT = 3072


class ModelNotLoadedError(RuntimeError):
    """The server is up but has no model (still loading, or loading failed): UNAVAILABLE."""


class ModelNotServedError(LookupError):
    """The request names a model or version other than the one loaded: NOT_FOUND."""


class ServedModel(champion.ServedModel):
    """The one model every service answers with, and the lookups of gRPC's services."""

    def loaded(self) -> Predictor:
        model = self()
        if model is None:
            raise ModelNotLoadedError("model not loaded")
        return model

    def named(self, name: str, version: str) -> Predictor:
        """The model if `name` is its name and `version` its version ("" means whichever).

        NOT_FOUND rather than INVALID_ARGUMENT: the request is well formed, this server
        just does not hold that model (another replica or a later rollout may).
        """
        model = self.loaded()
        metadata = model.metadata
        if name != metadata.name:
            message = f"model {name!r} is not served here (this is {metadata.name!r})"
            raise ModelNotServedError(message)
        if version and version != metadata.version:
            served = (
                f"version {metadata.version!r} is"
                if metadata.version
                else "it was loaded from a bundle directory, which has no version"
            )
            message = f"version {version!r} of {name!r} is not served here ({served})"
            raise ModelNotServedError(message)
        return model


@contextmanager
def rpc(route: str, context: grpc.ServicerContext) -> Iterator[None]:
    """Count and time one RPC, and turn its failures into status codes."""
    start = time.perf_counter()
    status = grpc.StatusCode.OK
    try:
        yield
    except InvalidRequestError as error:
        status = grpc.StatusCode.INVALID_ARGUMENT
        telemetry.ERRORS.labels("invalid_request").inc()
        context.abort_with_status(bad_request(error.errors))
    except ModelNotServedError as error:
        status = grpc.StatusCode.NOT_FOUND
        context.abort(status, str(error))
    except ModelNotLoadedError as error:
        status = grpc.StatusCode.UNAVAILABLE
        context.abort(status, str(error))
    except Exception:
        status = grpc.StatusCode.INTERNAL
        telemetry.ERRORS.labels("internal").inc()
        logger.exception("request failed", extra={"route": route})
        context.abort(status, "internal error")
    finally:
        telemetry.REQUESTS.labels("grpc", route, status.name).inc()
        telemetry.LATENCY.labels(route).observe(time.perf_counter() - start)


def bad_request(errors: list[dict[str, Any]]) -> grpc.Status:
    """INVALID_ARGUMENT: a message naming each field, and one field violation per error.

    A violation's `field` is the error's `loc` joined with dots (`records.0.amount`),
    the path the HTTP adapters print; its `reason` is the error type in capitals.
    What does not fit the trailer is summed up in a last violation.
    """
    violations: list[Any] = []
    size = 0
    for error in errors:
        violation = error_details_pb2.BadRequest.FieldViolation(
            field=".".join(map(str, error["loc"])),
            description=error["msg"],
            reason=error["type"].upper(),
        )
        size += violation.ByteSize() + 4  # the field's tag and length
        if size > DETAILS_LIMIT:
            violations.append(
                error_details_pb2.BadRequest.FieldViolation(
                    field=str(error["loc"][0]),
                    description=f"{len(errors) - len(violations)} more errors not shown",
                    reason="TOO_MANY_ERRORS",
                )
            )
            break
        violations.append(violation)
    details = any_pb2.Any()
    details.Pack(error_details_pb2.BadRequest(field_violations=violations))
    status = status_pb2.Status(
        code=code_pb2.INVALID_ARGUMENT, message=summary(errors), details=[details]
    )
    return rpc_status.to_status(status)


def summary(errors: list[dict[str, Any]]) -> str:
    """`loc: msg` of each error, as many as fit MESSAGE_LIMIT, then how many more."""
    parts: list[str] = []
    length = 0
    for index, error in enumerate(errors):
        part = f"{'.'.join(map(str, error['loc']))}: {error['msg']}"
        length += len(part) + 2
        if length > MESSAGE_LIMIT and parts:
            parts.append(f"and {len(errors) - index} more")
            break
        parts.append(part)
    return "; ".join(parts)


class _Undecodable:
    """What a guarded deserializer returns for bytes that are not the request message."""


UNDECODABLE = _Undecodable()


class RejectUndecodable(grpc.ServerInterceptor):
    """Bytes that do not parse as the method's request message: INVALID_ARGUMENT.

    grpc parses a request before any servicer code runs, and when the parser raises
    it logs a traceback and answers INTERNAL, as if the server were broken. Here
    each method's deserializer returns a marker instead, and the method answers
    INVALID_ARGUMENT when it meets one, counted like any other invalid request.
    """

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler[Any, Any] | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        handler = continuation(handler_call_details)
        if handler is None or handler.request_deserializer is None:
            return handler
        method = handler_call_details.method
        deserialize = _guarded(handler.request_deserializer)
        serialize = handler.response_serializer
        if handler.unary_unary is not None:
            unary_unary = handler.unary_unary

            def one_to_one(request: Any, context: grpc.ServicerContext) -> Any:
                return unary_unary(_checked(request, method, context), context)

            return grpc.unary_unary_rpc_method_handler(one_to_one, deserialize, serialize)
        if handler.unary_stream is not None:
            unary_stream = handler.unary_stream

            def one_to_many(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
                return unary_stream(_checked(request, method, context), context)

            return grpc.unary_stream_rpc_method_handler(one_to_many, deserialize, serialize)
        if handler.stream_unary is not None:
            stream_unary = handler.stream_unary

            def many_to_one(requests: Iterator[Any], context: grpc.ServicerContext) -> Any:
                return stream_unary(_each_checked(requests, method, context), context)

            return grpc.stream_unary_rpc_method_handler(many_to_one, deserialize, serialize)
        if handler.stream_stream is not None:
            stream_stream = handler.stream_stream

            def many_to_many(
                requests: Iterator[Any], context: grpc.ServicerContext
            ) -> Iterator[Any]:
                return stream_stream(_each_checked(requests, method, context), context)

            return grpc.stream_stream_rpc_method_handler(many_to_many, deserialize, serialize)
        return handler


def _guarded(deserialize: Callable[[bytes], Any]) -> Callable[[bytes], Any]:
    def parse(data: bytes) -> Any:
        try:
            return deserialize(data)
        except Exception:  # it only parses the client's bytes: whatever it raises is theirs
            return UNDECODABLE

    return parse


def _checked(request: Any, method: str, context: grpc.ServicerContext) -> Any:
    if request is UNDECODABLE:
        route = method.rpartition("/")[2]
        telemetry.ERRORS.labels("invalid_request").inc()
        telemetry.REQUESTS.labels("grpc", route, grpc.StatusCode.INVALID_ARGUMENT.name).inc()
        context.abort(
            grpc.StatusCode.INVALID_ARGUMENT,
            f"the request is not a valid protobuf message for {method}",
        )
    return request


def _each_checked(
    requests: Iterator[Any], method: str, context: grpc.ServicerContext
) -> Iterator[Any]:
    for request in requests:
        yield _checked(request, method, context)
