"""BentoML adapter: a `@bentoml.service` over the core Predictor, and `serve`.

BentoML validates the body of its API (`POST /v1/predict`) against the pydantic
feature record and answers a bad batch with HTTP 400 naming the field; scoring is
the Predictor's. Next to BentoML's own routes (/livez, /readyz, /metrics,
/docs.json) a Starlette app mounted at the root answers what BentoML's API
methods cannot: GET /v1/model, the Open Inference Protocol (`v2.py`, shared with
the other HTTP adapters) and /openapi.json, the document of everything this
server answers (BentoML's /docs.json covers only its own routes, and gets the
shape of its 400 wrong). BentoML lets any Content-Type through and has no body
limit of its own: the middleware here adds both, so bodies are refused as by
the other HTTP servers.

BentoML's supervisor process imports this module too, only to read the service
definition: the model stack and the metrics, which only the worker process needs,
are imported inside the functions that use them.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import bentoml
from bentoml.exceptions import ServiceUnavailable
from pydantic import ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route

from .. import __version__
from ..core.schemas import FeatureRecord
from ..logs import adopt, configure_logging
from ..settings import PROJECT_NAME, Settings, get_settings
from .asgi import ASGIApp, BodyLimitMiddleware, Message, Receive, Scope, Send
from .contract import InvalidRequestError, PredictResponse, check_batch_size
from .http_io import JSON_MEDIA_TYPE, Answer, json_answer

if TYPE_CHECKING:
    from ..core.predictor import Predictor
    from .openapi import Schema
    from .v2 import V2Service

logger = logging.getLogger(__name__)
PREDICT_ROUTE = "/v1/predict"
V2_MODEL = "/v2/models/{model_name}"
V2_VERSION = "/v2/models/{model_name}/versions/{model_version}"


def error_answer(path: str, status: int, message: str) -> Answer:
    """BentoML's own error dialect, `{"error": ...}`, on every route."""
    return json_answer({"error": message}, status)


def _response(answer: Answer) -> Response:
    headers = dict(answer.headers)
    if answer.status == 413:  # what is left of the body is not read: drop the connection
        headers["connection"] = "close"
    return Response(answer.body, answer.status, headers=headers, media_type=answer.media_type)


def _service() -> PredictionService:
    return cast(PredictionService, bentoml.get_current_service())


def _v2() -> V2Service:
    return _service().v2


async def describe_model(_: Request) -> Response:
    """GET /v1/model: the same document as the other REST adapters'."""
    predictor = _service().predictor
    if predictor is None:
        return _response(error_answer(_.url.path, 503, "model not loaded"))
    return _response(json_answer(predictor.metadata.as_dict()))


async def openapi_document(_: Request) -> Response:
    from .openapi import document

    service = _service()
    metadata = service.predictor.metadata if service.predictor else None
    return _response(
        json_answer(document(service.settings, paths(service.settings), metadata, __version__))
    )


async def v2_server_metadata(_: Request) -> Response:
    return _response(_v2().server_metadata())


async def v2_live(_: Request) -> Response:
    return _response(_v2().server_live())


async def v2_ready(_: Request) -> Response:
    return _response(_v2().server_ready())


async def v2_model_metadata(request: Request) -> Response:
    values = request.path_params
    return _response(_v2().model_metadata(values["model_name"], values.get("model_version")))


async def v2_model_ready(request: Request) -> Response:
    values = request.path_params
    return _response(_v2().model_ready(values["model_name"], values.get("model_version")))


async def v2_infer(request: Request) -> Response:
    values = request.path_params
    headers = {name.lower(): value for name, value in request.headers.items()}
    body = await request.body()
    return _response(_v2().infer(values["model_name"], values.get("model_version"), body, headers))


def paths(settings: Settings) -> Schema:
    """The OpenAPI paths of BentoML's routes and of GET /v1/model, with every answer each gives."""
    from .openapi import METRICS_MEDIA_TYPE, answer, obj, ref

    # BentoML's input model ignores keys other than its arguments: the schema says so.
    request = {
        "type": "object",
        "required": ["records"],
        "properties": {
            "records": {
                "type": "array",
                "items": ref("FeatureRecord"),
                "minItems": 1,
                "maxItems": settings.max_batch_size,
            }
        },
    }

    error = obj({"error": {"type": "string"}})
    invalid = obj(
        {
            "error": {"type": "string"},
            "detail": {
                "anyOf": [
                    {"type": "string"},
                    {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "loc": {"type": "array", "items": {"type": ["string", "integer"]}},
                                "msg": {"type": "string"},
                                "type": {"type": "string"},
                            },
                            "required": ["loc", "msg", "type"],
                        },
                    },
                ]
            },
        },
        required=["error"],
    )
    not_loaded = answer("no model loaded yet, or it failed to load", error)
    text = {"type": "string"}
    probes = {
        "/livez": ("live", "Liveness: the process answers", {}),
        "/healthz": ("health", "Liveness (BentoML's older name)", {}),
        "/readyz": (
            "ready",
            "Readiness: the model is loaded",
            {"503": answer("not ready", text, "text/plain")},
        ),
    }
    documented: dict[str, Schema] = {
        path: {
            "get": {
                "tags": ["health"],
                "operationId": operation,
                "summary": summary,
                "responses": {"200": answer("yes", text, "text/plain"), **extra},
            }
        }
        for path, (operation, summary, extra) in probes.items()
    }
    return {
        **documented,
        "/metrics": {
            "get": {
                "tags": ["health"],
                "operationId": "metrics",
                "summary": "Prometheus metrics (BentoML's and this project's)",
                "responses": {"200": answer("the exposition", text, METRICS_MEDIA_TYPE)},
            }
        },
        "/v1/model": {
            "get": {
                "tags": ["model"],
                "operationId": "describe_model",
                "summary": "The loaded model: version, alias, run, threshold, metrics, schema",
                "responses": {
                    "200": answer("the model", ref("ModelDescription")),
                    "503": not_loaded,
                },
            }
        },
        PREDICT_ROUTE: {
            "post": {
                "tags": ["model"],
                "operationId": "predict",
                "summary": "Score a batch of records",
                "description": "JSON with `Content-Type: application/json` or none.",
                "requestBody": {
                    "required": True,
                    "content": {JSON_MEDIA_TYPE: {"schema": request}},
                },
                "responses": {
                    "200": answer("one prediction per record, in order", ref("PredictResponse")),
                    "400": answer("invalid request, `detail` naming each field", invalid),
                    "413": answer("body larger than MAX_REQUEST_BYTES", error),
                    "415": answer("not JSON, or compressed", error),
                    "503": not_loaded,
                },
            }
        },
    }


# Mounted at the root: BentoML's mount claims only the paths its app routes, so
# BentoML's own routes (and its 404 for any other path) are untouched.
extra_routes = Starlette(
    routes=[
        Route("/openapi.json", openapi_document, methods=["GET"]),
        Route("/v1/model", describe_model, methods=["GET"]),
        Route("/v2", v2_server_metadata, methods=["GET"]),
        Route("/v2/health/live", v2_live, methods=["GET"]),
        Route("/v2/health/ready", v2_ready, methods=["GET"]),
        Route(V2_MODEL, v2_model_metadata, methods=["GET"]),
        Route(V2_VERSION, v2_model_metadata, methods=["GET"]),
        Route(V2_MODEL + "/ready", v2_model_ready, methods=["GET"]),
        Route(V2_VERSION + "/ready", v2_model_ready, methods=["GET"]),
        Route(V2_MODEL + "/infer", v2_infer, methods=["POST"]),
        Route(V2_VERSION + "/infer", v2_infer, methods=["POST"]),
    ]
)
# Metric labels stay bounded: a route template, or "unmatched" for any other path.
LABELLED = [
    *(Route(path, describe_model) for path in ("/livez", "/readyz", "/healthz", "/metrics")),
    Route(PREDICT_ROUTE, describe_model),
    *extra_routes.routes,
]


def route_label(scope: Scope) -> str:
    for route in LABELLED:
        if route.matches(scope)[0] != Match.NONE:
            return cast(Route, route).path
    return "unmatched"


class MetricsMiddleware:
    """Count and time every request under this project's metric names.

    BentoML validates the body before the API method runs, so a 400 from the
    predict route is where an invalid request is counted.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        from . import telemetry

        start = time.perf_counter()
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            route = route_label(scope)
            telemetry.REQUESTS.labels(scope["method"], route, str(status)).inc()
            telemetry.LATENCY.labels(route).observe(time.perf_counter() - start)
            if route == PREDICT_ROUTE and status == 400:
                telemetry.ERRORS.labels("invalid_request").inc()


class V2RouterErrorsMiddleware:
    """404 and 405 under /v2 as the protocol's `{"error": ...}`, not BentoML's plain text.

    BentoML's router answers a path or method it has no route for before the
    mounted app sees the request; V2 clients can only show an error object.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not (path == "/v2" or path.startswith("/v2/")):
            await self.app(scope, receive, send)
            return
        replaced: dict[str, Any] = {}

        async def send_json_errors(message: Message) -> None:
            if message["type"] == "http.response.start" and _router_error(message):
                headers = [(k, v) for k, v in message["headers"] if k.lower() == b"allow"]
                replaced["status"], replaced["headers"] = message["status"], headers
                return
            if replaced and message["type"] == "http.response.body":
                if message.get("more_body"):
                    return
                reason = "Not Found" if replaced["status"] == 404 else "Method Not Allowed"
                answer = error_answer(path, replaced["status"], reason)
                headers = [*replaced["headers"], (b"content-type", answer.media_type.encode())]
                await send(
                    {"type": "http.response.start", "status": answer.status, "headers": headers}
                )
                await send({"type": "http.response.body", "body": answer.body})
                return
            await send(message)

        await self.app(scope, receive, send_json_errors)


def _router_error(start: Message) -> bool:
    """A 404 or 405 that is not JSON: the router's, not an answer of the V2 routes."""
    types = [v for k, v in start["headers"] if k.lower() == b"content-type"]
    return start["status"] in (404, 405) and not any(b"json" in v for v in types)


class ApiBodyMiddleware:
    """BentoML's API reads any Content-Type and compressed bytes as JSON: refuse them (415).

    The same rule as the other HTTP servers: JSON with `application/json` or no
    Content-Type, no Content-Encoding but identity (the mounted V2 routes decode
    gzip and deflate themselves).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PREDICT_ROUTE:
            await self.app(scope, receive, send)
            return
        from .http_io import UnsupportedMediaTypeError, check_media_type

        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            check_media_type(headers, JSON_MEDIA_TYPE)
            encoding = headers.get("content-encoding", "identity").strip().lower()
            if encoding not in ("", "identity"):
                raise UnsupportedMediaTypeError(
                    f"Content-Encoding {encoding} is not supported here; send identity"
                )
        except UnsupportedMediaTypeError as error:
            from . import telemetry

            telemetry.ERRORS.labels("invalid_request").inc()
            await _response(error_answer(scope["path"], 415, str(error)))(scope, receive, send)
            return
        await self.app(scope, receive, send)


class ClientErrorFilter(logging.Filter):
    """Drop BentoML's ERROR-with-traceback for a request body that fails validation.

    That is the client's mistake, already answered with a 400 and counted in
    `prediction_errors_total`; logged as an ERROR it would page whoever watches the logs.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, ValidationError)


@bentoml.asgi_app(extra_routes, path="/")
@bentoml.service(
    name=PROJECT_NAME,
    # One worker per container: scale out with replicas (the HPA), as the other adapters do.
    workers=1,
    # Requests are counted and timed in /metrics; an access log line each costs more than it tells.
    logging={"access": {"enabled": False}},
)
class PredictionService:
    """One Predictor per worker process, loaded at start-up from MODEL_URI."""

    def __init__(self) -> None:
        from .champion import ServedModel
        from .loader import limit_native_threads
        from .v2 import V2Service

        self.settings: Settings = get_settings()
        _route_logs_through_ours(self.settings.log_level)
        # `predict` is async and runs on this thread's event loop: limit this thread.
        limit_native_threads()
        self.served = ServedModel(self.settings)
        self.v2 = V2Service(self.settings, self.served)
        try:
            self.served.load()
        except Exception:
            # Stay up but unready: /readyz answers 503 and the logs say why.
            logger.exception("model could not be loaded", extra={"uri": self.settings.model_uri})
        self.served.follow()

    @property
    def predictor(self) -> Predictor | None:
        """The model serving now (a new champion replaces it while serving)."""
        return self.served()

    def __is_ready__(self) -> bool:
        """BentoML's readiness hook, behind /readyz."""
        return self.predictor is not None

    # BentoML's SDK package ships no type information, so mypy sees an untyped decorator.
    @bentoml.api(route=PREDICT_ROUTE)  # type: ignore[untyped-decorator]
    async def predict(self, records: list[FeatureRecord]) -> PredictResponse:
        """Score a batch of records; a bad batch is a 400 naming the field."""
        model = self.predictor
        if model is None:
            raise ServiceUnavailable("model not loaded")
        try:
            check_batch_size(len(records), self.settings.max_batch_size, ["records"])
        except InvalidRequestError as error:
            raise _as_validation_error(error) from None
        predictions = self.served.predict(model, records)
        metadata = model.metadata
        return PredictResponse(
            model_name=metadata.name, model_version=metadata.version, predictions=predictions
        )


# The decorators made PredictionService a bentoml.Service; mypy still sees the class.
# Added last, runs first: metrics see every answer, the limit applies before any read.
cast(Any, PredictionService).add_asgi_middleware(ApiBodyMiddleware)
cast(Any, PredictionService).add_asgi_middleware(V2RouterErrorsMiddleware)
cast(Any, PredictionService).add_asgi_middleware(
    BodyLimitMiddleware, limit=get_settings().max_request_bytes, refuse=error_answer
)
cast(Any, PredictionService).add_asgi_middleware(MetricsMiddleware)


def _as_validation_error(error: InvalidRequestError) -> ValidationError:
    """A contract error as the pydantic error that BentoML already answers with a 400."""
    details: list[InitErrorDetails] = [
        {"type": PydanticCustomError(e["type"], e["msg"]), "loc": tuple(e["loc"]), "input": None}
        for e in error.errors
    ]
    return ValidationError.from_exception_data("Input", details)


def _route_logs_through_ours(level: str) -> None:
    """BentoML configures plain-text logging in each worker: make every line JSON."""
    configure_logging(level)
    for name in ("bentoml", "circus", "uvicorn.error"):
        adopt(name)
        logging.getLogger(name).setLevel(logging.NOTSET)
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    logging.getLogger("bentoml._internal.server.http_app").addFilter(ClientErrorFilter())


def serve(settings: Settings, host: str, port: int) -> None:
    """Serve as `bentoml serve` does: a supervisor process and one worker process.

    The supervisor stops the worker on SIGTERM or SIGINT. The worker reads `settings`
    again from the same environment, in the same working directory (relative paths
    in the settings keep their meaning). Each run gets a private BENTOML_HOME in the
    temp directory: BentoML wipes the Prometheus files under its home at start, which
    would blank the metrics of another server sharing it.
    """
    os.environ["BENTOML_DO_NOT_TRACK"] = "true"  # no usage analytics leave the machine
    with tempfile.TemporaryDirectory(prefix="bentoml-") as home:
        os.environ["BENTOML_HOME"] = home
        bentoml.serve(
            f"{__name__}:PredictionService",
            host=host,
            port=port,
            working_dir=str(Path.cwd()),
            blocking=True,
        )
