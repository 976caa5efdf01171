"""FastAPI adapter: REST, the Open Inference Protocol (KServe V2) and /metrics.

Everything here is transport: validation comes from the pydantic feature record,
scoring from the core Predictor. Bad input is a 422 naming the field, never a 500.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, Field

from ..core.predictor import Predictor
from ..core.schemas import FeatureRecord, Prediction
from ..settings import Settings, get_settings
from . import telemetry
from .loader import load_served_model
from .v2 import (
    InferenceRequest,
    InferenceResponse,
    InvalidInputError,
    model_metadata,
    outputs_from_predictions,
    records_from_inputs,
)

logger = logging.getLogger(__name__)
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class PredictRequest(BaseModel):
    records: list[FeatureRecord] = Field(min_length=1, description="records to score")


class PredictResponse(BaseModel):
    model_name: str
    model_version: str | None
    predictions: list[Prediction]


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


def _too_large(count: int, limit: int, loc: list[str | int]) -> RequestValidationError:
    telemetry.ERRORS.labels("batch_too_large").inc()
    return RequestValidationError(
        [
            {
                "type": "too_long",
                "loc": loc,
                "msg": f"batch of {count} records exceeds MAX_BATCH_SIZE={limit}",
                "input": count,
            }
        ]
    )


def create_app(settings: Settings | None = None, predictor: Predictor | None = None) -> FastAPI:
    """Build the app; the model loads at startup unless a predictor is given (tests)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.predictor = predictor
        if predictor is None:
            try:
                app.state.predictor = load_served_model(settings)
                logger.info("model loaded", extra=app.state.predictor.metadata.as_dict())
            except Exception:
                # Stay up but unready: the orchestrator sees /health/ready fail and
                # keeps traffic away, and the logs say why.
                logger.exception("model could not be loaded", extra={"uri": settings.model_uri})
        yield

    app = FastAPI(title=settings.model_name, version="1", lifespan=lifespan)
    app.add_middleware(MetricsMiddleware)

    def loaded(request: Request) -> Predictor:
        model: Predictor | None = request.app.state.predictor
        if model is None:
            raise HTTPException(status_code=503, detail="model not loaded")
        return model

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> Response:
        # The offending value is echoed back, and NaN/inf are not valid JSON.
        telemetry.ERRORS.labels("invalid_request").inc()
        detail = jsonable_encoder(_json_safe(list(error.errors())))
        return JSONResponse(status_code=422, content={"detail": detail})

    @app.get("/health/live", tags=["health"])
    @app.get("/v2/health/live", tags=["health"], include_in_schema=False)
    async def live() -> dict[str, str]:
        return {"status": "alive"}

    @app.get("/health/ready", tags=["health"])
    @app.get("/v2/health/ready", tags=["health"], include_in_schema=False)
    async def ready(request: Request) -> dict[str, str | None]:
        model = loaded(request)
        return {"status": "ready", "model_version": model.metadata.version}

    @app.get("/metrics", tags=["health"])
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @app.get("/v1/model", tags=["model"])
    async def model_metadata(request: Request) -> dict[str, Any]:
        return loaded(request).metadata.as_dict()

    @app.post("/v1/predict", tags=["model"])
    async def predict(body: PredictRequest, request: Request) -> PredictResponse:
        model = loaded(request)
        if len(body.records) > settings.max_batch_size:
            raise _too_large(len(body.records), settings.max_batch_size, ["body", "records"])
        predictions = model.predict(body.records)
        _observe(predictions, len(body.records))
        return PredictResponse(
            model_name=model.metadata.name,
            model_version=model.metadata.version,
            predictions=predictions,
        )

    @app.get("/v2/models/{model_name}", tags=["open inference protocol"])
    async def v2_metadata(model_name: str, request: Request) -> dict[str, Any]:
        return model_metadata(_named(request, model_name).metadata)

    @app.get("/v2/models/{model_name}/ready", tags=["open inference protocol"])
    async def v2_ready(model_name: str, request: Request) -> dict[str, str | bool]:
        _named(request, model_name)
        return {"name": model_name, "ready": True}

    @app.post("/v2/models/{model_name}/infer", tags=["open inference protocol"])
    async def v2_infer(
        model_name: str, body: InferenceRequest, request: Request
    ) -> InferenceResponse:
        model = _named(request, model_name)
        try:
            records = records_from_inputs(body.inputs)
        except InvalidInputError as error:
            raise RequestValidationError(error.errors) from None
        if len(records) > settings.max_batch_size:
            raise _too_large(len(records), settings.max_batch_size, ["body", "inputs"])
        predictions = model.predict(records)
        _observe(predictions, len(records))
        return InferenceResponse(
            model_name=model.metadata.name,
            model_version=model.metadata.version,
            id=body.id,
            outputs=outputs_from_predictions(predictions),
        )

    def _named(request: Request, model_name: str) -> Predictor:
        model = loaded(request)
        if model_name != model.metadata.name:
            raise HTTPException(status_code=404, detail=f"model {model_name!r} is not served here")
        return model

    return app


def _observe(predictions: list[Prediction], count: int) -> None:
    telemetry.BATCH_SIZE.observe(count)
    first_field = next(iter(Prediction.model_fields))
    for prediction in predictions:
        telemetry.OUTPUTS.observe(float(getattr(prediction, first_field)))


def _json_safe(value: Any) -> Any:
    """Replace non-finite floats (which JSON cannot carry) by their names."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    return value
