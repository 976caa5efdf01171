"""SageMaker's container contract: GET /ping and POST /invocations, on port 8080.

SageMaker starts the image as `docker run <image> serve` (the image's HOST and PORT
say where `serve` listens), waits for /ping to answer 200, then sends every
InvokeEndpoint body to /invocations. Both are operations the server already has,
under SageMaker's paths: /ping is readiness (200 once the model is loaded, 503
before, so an endpoint never takes traffic it cannot score), /invocations is
/v1/predict (the same body, answers and errors: 422 naming each bad field, 415 for
a body that is not JSON, never a 5xx for a bad request). The adapters (api.py,
wsgi.py) route them to `RestService`; `paths` declares them in the OpenAPI document
beside the REST routes, so the fuzzer and the route check cover them too.
"""

from __future__ import annotations

from . import rest
from .openapi import Schema

PING = "/ping"
INVOCATIONS = "/invocations"


def paths() -> dict[str, Schema]:
    """The REST paths, and SageMaker's two: copies of readiness and predict, renamed."""
    documented = rest.paths()
    ready = documented["/health/ready"]["get"]
    predict = documented["/v1/predict"]["post"]
    return {
        **documented,
        PING: {
            "get": {
                **ready,
                "tags": ["sagemaker"],
                "operationId": "ping",
                "summary": "SageMaker's health check: readiness, 200 once the model is loaded",
            }
        },
        INVOCATIONS: {
            "post": {
                **predict,
                "tags": ["sagemaker"],
                "operationId": "invocations",
                "summary": "SageMaker's inference route: /v1/predict under its path",
            }
        },
    }
