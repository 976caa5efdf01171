"""The project's REST operations (health, model description, batch predict, metrics).

Like `v2.py`, each operation takes what came over the wire and returns an
`Answer`, so FastAPI and Flask give byte-identical responses: the adapters only
route. Errors answer `{"detail": ...}`: 422 with a list of errors whose `loc`
names the field, 413/415 for a body the server does not read, 503 while no
model is loaded.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ..settings import Settings
from . import telemetry
from .champion import ServedModel
from .contract import InvalidRequestError, PredictResponse, parse_batch
from .http_io import (
    JSON_MEDIA_TYPE,
    Answer,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
    check_media_type,
    decode_body,
    json_answer,
    parse_json,
)
from .openapi import METRICS_MEDIA_TYPE, Schema, answer, ref


class RestService:
    """The REST operations over whichever model the server holds at the time."""

    def __init__(self, settings: Settings, served: ServedModel) -> None:
        self.settings = settings
        self._model = served

    def live(self) -> Answer:
        return json_answer({"status": "alive"})

    def ready(self) -> Answer:
        model = self._model()
        if model is None:
            return _not_loaded()
        return json_answer({"status": "ready", "model_version": model.metadata.version})

    def describe_model(self) -> Answer:
        model = self._model()
        return _not_loaded() if model is None else json_answer(model.metadata.as_dict())

    def metrics(self) -> Answer:
        return Answer(200, generate_latest(), CONTENT_TYPE_LATEST)

    def predict(self, body: bytes, headers: Mapping[str, str]) -> Answer:
        """Score `{"records": [...]}`; `headers` must have lower-case names."""
        model = self._model()
        if model is None:
            return _not_loaded()
        try:
            check_media_type(headers, JSON_MEDIA_TYPE)
            payload = parse_json(decode_body(body, headers, self.settings.max_request_bytes))
            records = parse_batch(payload, self.settings.max_batch_size)
        except InvalidRequestError as error:
            return _refused(422, error.errors)
        except UnsupportedMediaTypeError as error:
            return _refused(415, str(error))
        except PayloadTooLargeError as error:
            return _refused(413, str(error))
        predictions = self._model.predict(model, records)
        response = PredictResponse(
            model_name=model.metadata.name,
            model_version=model.metadata.version,
            predictions=predictions,
        )
        return json_answer(response.model_dump())


def _refused(status: int, detail: Any) -> Answer:
    telemetry.ERRORS.labels("invalid_request").inc()
    return json_answer({"detail": detail}, status)


def _not_loaded() -> Answer:
    return json_answer({"detail": "model not loaded"}, 503)


def paths() -> dict[str, Schema]:
    """The OpenAPI paths of the operations above, with every answer each can give."""
    problem = ref("Problem")
    not_loaded = answer("no model loaded yet, or it failed to load", problem)
    return {
        "/health/live": {
            "get": {
                "tags": ["health"],
                "operationId": "live",
                "summary": "Liveness: the process answers",
                "responses": {"200": answer("alive", ref("Alive"))},
            }
        },
        "/health/ready": {
            "get": {
                "tags": ["health"],
                "operationId": "ready",
                "summary": "Readiness: the model is loaded",
                "responses": {"200": answer("ready", ref("Ready")), "503": not_loaded},
            }
        },
        "/metrics": {
            "get": {
                "tags": ["health"],
                "operationId": "metrics",
                "summary": "Prometheus metrics (text exposition format)",
                "responses": {
                    "200": answer("the exposition", {"type": "string"}, METRICS_MEDIA_TYPE)
                },
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
        "/v1/predict": {
            "post": {
                "tags": ["model"],
                "operationId": "predict",
                "summary": "Score a batch of records",
                "description": (
                    "JSON with `Content-Type: application/json` or none; gzip or deflate "
                    "`Content-Encoding` accepted. Every invalid field of every record is "
                    "reported at once, located by `loc`."
                ),
                "requestBody": {
                    "required": True,
                    "content": {JSON_MEDIA_TYPE: {"schema": ref("PredictRequest")}},
                },
                "responses": {
                    "200": answer("one prediction per record, in order", ref("PredictResponse")),
                    "413": answer("body larger than MAX_REQUEST_BYTES", problem),
                    "415": answer("not JSON, or an unknown Content-Encoding", problem),
                    "422": answer(
                        "invalid request, each error naming the field", ref("InvalidRequest")
                    ),
                    "503": not_loaded,
                },
            }
        },
    }
