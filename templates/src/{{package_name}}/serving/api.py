"""FastAPI adapter: the REST routes, the Open Inference Protocol (KServe V2) and /metrics.

Everything here is transport. The operations and their answers are `rest.py` and
`v2.py` (shared with the Flask adapter), the OpenAPI document is `openapi.py`:
a route added here must be declared there too (tests/test_fuzz.py checks that
routes and document agree). Routes read the raw body themselves, so clients that
send no Content-Type, compressed or binary bodies are served like any other.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from starlette.exceptions import HTTPException

from .. import __version__
from ..core.predictor import Predictor
from ..settings import Settings, get_settings
from . import openapi, telemetry
from .asgi import BodyLimitMiddleware
from .http_io import Answer, refusal
from .loader import limit_native_threads, load_served_model
from .rest import RestService, paths
from .v2 import V2Service

logger = logging.getLogger(__name__)
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
V2_MODEL = "/v2/models/{model_name}"
V2_VERSION = "/v2/models/{model_name}/versions/{model_version}"


class MetricsMiddleware:
    """Count and time every request (pure ASGI: no per-request task or thread)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
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
            route = scope.get("route")
            path = getattr(route, "path", "unmatched")
            elapsed = time.perf_counter() - start
            telemetry.REQUESTS.labels(scope["method"], path, str(status)).inc()
            telemetry.LATENCY.labels(path).observe(elapsed)


def _response(answer: Answer) -> Response:
    headers = dict(answer.headers)
    if answer.status == 413:  # what is left of the body is not read: drop the connection
        headers["connection"] = "close"
    return Response(answer.body, answer.status, headers=headers, media_type=answer.media_type)


def _headers(request: Request) -> dict[str, str]:
    return {name.lower(): value for name, value in request.headers.items()}


def create_app(settings: Settings | None = None, predictor: Predictor | None = None) -> FastAPI:
    """Build the app; the model loads at startup unless a predictor is given (tests)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        limit_native_threads()
        app.state.predictor = predictor
        if predictor is None:
            try:
                app.state.predictor = load_served_model(settings)
                metadata = app.state.predictor.metadata
                logger.info(
                    "model loaded", extra={"model": metadata.name, "version": metadata.version}
                )
            except Exception:
                # Stay up but unready: the orchestrator sees /health/ready fail and
                # keeps traffic away, and the logs say why.
                logger.exception("model could not be loaded", extra={"uri": settings.model_uri})
        yield

    app = FastAPI(title=settings.model_name, version=__version__, lifespan=lifespan)
    app.state.predictor = predictor

    def model() -> Predictor | None:
        loaded: Predictor | None = app.state.predictor
        return loaded

    rest = RestService(settings, model)
    v2 = V2Service(settings, model)

    def document() -> dict[str, Any]:
        loaded = model()
        return openapi.document(settings, paths(), loaded.metadata if loaded else None, __version__)

    app.openapi = document  # type: ignore[method-assign]  # FastAPI's documented override
    app.add_middleware(BodyLimitMiddleware, limit=settings.max_request_bytes, refuse=refusal)
    app.add_middleware(MetricsMiddleware)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        # Unknown routes and wrong methods, in the error dialect of the path (V2: {"error"}).
        response = _response(refusal(request.url.path, error.status_code, str(error.detail)))
        response.headers.update(error.headers or {})
        return response

    @app.get("/health/live")
    async def live() -> Response:
        return _response(rest.live())

    @app.get("/health/ready")
    async def ready() -> Response:
        return _response(rest.ready())

    @app.get("/metrics")
    async def metrics() -> Response:
        return _response(rest.metrics())

    @app.get("/v1/model")
    async def describe_model() -> Response:
        return _response(rest.describe_model())

    @app.post("/v1/predict")
    async def predict(request: Request) -> Response:
        return _response(rest.predict(await request.body(), _headers(request)))

    @app.get("/v2")
    async def v2_server_metadata() -> Response:
        return _response(v2.server_metadata())

    @app.get("/v2/health/live")
    async def v2_live() -> Response:
        return _response(v2.server_live())

    @app.get("/v2/health/ready")
    async def v2_ready() -> Response:
        return _response(v2.server_ready())

    @app.get(V2_MODEL)
    async def v2_model_metadata(model_name: str) -> Response:
        return _response(v2.model_metadata(model_name))

    @app.get(V2_VERSION)
    async def v2_model_version_metadata(model_name: str, model_version: str) -> Response:
        return _response(v2.model_metadata(model_name, model_version))

    @app.get(V2_MODEL + "/ready")
    async def v2_model_ready(model_name: str) -> Response:
        return _response(v2.model_ready(model_name))

    @app.get(V2_VERSION + "/ready")
    async def v2_model_version_ready(model_name: str, model_version: str) -> Response:
        return _response(v2.model_ready(model_name, model_version))

    @app.post(V2_MODEL + "/infer")
    async def v2_infer(request: Request, model_name: str) -> Response:
        body = await request.body()
        return _response(v2.infer(model_name, None, body, _headers(request)))

    @app.post(V2_VERSION + "/infer")
    async def v2_version_infer(request: Request, model_name: str, model_version: str) -> Response:
        body = await request.body()
        return _response(v2.infer(model_name, model_version, body, _headers(request)))

    return app


def serve(settings: Settings, host: str, port: int) -> None:
    """Run the app with uvicorn (uvloop + httptools when installed)."""
    import uvicorn

    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
    )
