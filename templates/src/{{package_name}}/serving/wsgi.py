"""Flask adapter on gunicorn: the REST routes, the Open Inference Protocol (KServe V2), /metrics.

Everything here is transport. The operations and their answers are `rest.py` and
`v2.py` (shared with the FastAPI adapter), so the project's client and tests
cannot tell which one runs; the OpenAPI document (`openapi.py`, at /openapi.json)
is the same too, and tests/test_fuzz.py checks that routes and document agree.

gunicorn runs one worker process with request threads. prometheus_client counts
per process, so a single process keeps /metrics complete without multiprocess
mode (a shared directory of mmap files to wipe at start and clean on worker
exit), and the model is held in memory once; scale out with more replicas.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, request
from gunicorn.app.base import BaseApplication
from gunicorn.config import Config
from gunicorn.glogging import Logger
from gunicorn.workers.gthread import ThreadWorker
from werkzeug.exceptions import HTTPException

from .. import __version__
from ..core.predictor import Predictor
from ..logs import adopt
from ..settings import Settings, get_settings
from . import openapi, telemetry
from .http_io import Answer, json_answer, refusal
from .loader import limit_native_threads, load_served_model
from .rest import RestService, paths
from .v2 import V2Service

if TYPE_CHECKING:
    from _typeshed import OptExcInfo
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

logger = logging.getLogger(__name__)
ROUTE = "serving.route"  # environ key: the matched route, for metric labels
READ = "serving.read"  # environ key: how much of the body the route read
THREADS = 8  # overlap sockets and JSON; scoring is CPU-bound, so more threads only queue
V2_MODEL = "/v2/models/<model_name>"
V2_VERSION = "/v2/models/<model_name>/versions/<model_version>"


class MetricsMiddleware:
    """Count and time every request (pure WSGI, around Flask and its error handlers)."""

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start = time.perf_counter()
        status = "500"

        def start_with_status(
            line: str, headers: list[tuple[str, str]], exc_info: OptExcInfo | None = None
        ) -> Callable[[bytes], object]:
            nonlocal status
            status = line.partition(" ")[0]
            return start_response(line, headers, exc_info)

        try:
            return self.app(environ, start_with_status)
        finally:
            route = environ.get(ROUTE, "unmatched")
            telemetry.REQUESTS.labels(environ["REQUEST_METHOD"], route, status).inc()
            telemetry.LATENCY.labels(route).observe(time.perf_counter() - start)


def _body(limit: int) -> bytes:
    """The body, read to at most one byte past `limit`: the operation refuses it then (413).

    Reading that far, even when Content-Length already says too much, lets the client
    finish sending and read the 413 (gunicorn drops a little more, then closes).
    werkzeug's own MAX_CONTENT_LENGTH would cut a chunked body at the limit without a
    word, and the truncated JSON would be refused as invalid instead of too large.
    """
    body = request.stream.read(limit + 1)
    request.environ[READ] = len(body)
    return body


def _response(answer: Answer) -> Response:
    response = Response(
        answer.body, answer.status, headers=list(answer.headers), content_type=answer.media_type
    )
    declared = request.content_length
    if answer.status == 413 and declared is not None and declared > request.environ.get(READ, 0):
        # gunicorn drops at most 64 KiB of an unread body, then closes: say so.
        response.headers["Connection"] = "close"
    return response


def _headers() -> dict[str, str]:
    return {name.lower(): value for name, value in request.headers.items()}


def create_app(settings: Settings | None = None, predictor: Predictor | None = None) -> Flask:
    """Build the app; the model loads now unless a predictor is given (tests).

    A model that cannot be loaded leaves the app live but not ready: the
    orchestrator keeps traffic away, and the logs say why.
    """
    settings = settings or get_settings()
    limit_native_threads()
    model = predictor if predictor is not None else _load(settings)
    rest = RestService(settings, lambda: model)
    v2 = V2Service(settings, lambda: model)
    app = Flask(__name__)
    app.wsgi_app = MetricsMiddleware(app.wsgi_app)  # type: ignore[method-assign]

    @app.before_request
    def label_route() -> None:
        # Label by route template, not by path: one series per route, whatever the URL.
        if request.url_rule is not None:
            request.environ[ROUTE] = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", request.url_rule.rule)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        # Unknown routes, wrong methods, bodies too large: in the dialect of the path.
        response = _response(refusal(request.path, error.code or 500, error.name))
        allowed = error.get_response().headers.get("Allow")  # a 405 says what is allowed
        if allowed:
            response.headers["Allow"] = allowed
        return response

    @app.get("/openapi.json")
    def openapi_document() -> Response:
        document = openapi.document(
            settings, paths(), model.metadata if model else None, __version__
        )
        return _response(json_answer(document))

    app.add_url_rule("/health/live", "live", lambda: _response(rest.live()))
    app.add_url_rule("/health/ready", "ready", lambda: _response(rest.ready()))
    app.add_url_rule("/metrics", "metrics", lambda: _response(rest.metrics()))
    app.add_url_rule("/v1/model", "describe_model", lambda: _response(rest.describe_model()))

    @app.post("/v1/predict")
    def predict() -> Response:
        return _response(rest.predict(_body(settings.max_request_bytes), _headers()))

    app.add_url_rule("/v2", "v2_server_metadata", lambda: _response(v2.server_metadata()))
    app.add_url_rule("/v2/health/live", "v2_live", lambda: _response(v2.server_live()))
    app.add_url_rule("/v2/health/ready", "v2_ready", lambda: _response(v2.server_ready()))

    @app.get(V2_MODEL)
    @app.get(V2_VERSION)
    def v2_model_metadata(model_name: str, model_version: str | None = None) -> Response:
        return _response(v2.model_metadata(model_name, model_version))

    @app.get(V2_MODEL + "/ready")
    @app.get(V2_VERSION + "/ready")
    def v2_model_ready(model_name: str, model_version: str | None = None) -> Response:
        return _response(v2.model_ready(model_name, model_version))

    @app.post(V2_MODEL + "/infer")
    @app.post(V2_VERSION + "/infer")
    def v2_infer(model_name: str, model_version: str | None = None) -> Response:
        body = _body(settings.max_request_bytes)
        return _response(v2.infer(model_name, model_version, body, _headers()))

    return app


def _load(settings: Settings) -> Predictor | None:
    try:
        predictor = load_served_model(settings)
    except Exception:
        logger.exception("model could not be loaded", extra={"uri": settings.model_uri})
        return None
    metadata = predictor.metadata
    logger.info("model loaded", extra={"model": metadata.name, "version": metadata.version})
    return predictor


class RequestThreadWorker(ThreadWorker):
    """gunicorn's threaded worker whose request threads score with one native thread each.

    OpenMP thread limits are per thread: the limit set where the model loads does
    not reach the pool's threads, which would each start a full OpenMP team.
    """

    def get_thread_pool(self) -> ThreadPoolExecutor:
        return ThreadPoolExecutor(max_workers=self.cfg.threads, initializer=limit_native_threads)


class JsonLogger(Logger):
    """gunicorn's own lines (start, signals, worker exits) go through the JSON root handler."""

    def setup(self, cfg: Config) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            adopt(log.name)


class GunicornServer(BaseApplication):
    """gunicorn configured in code, so `serve` needs no config file or command line."""

    def __init__(self, settings: Settings, options: dict[str, Any]) -> None:
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:  # types-gunicorn's WSGI type is narrower than PEP 3333 (Flask's)
        # Called in the worker after fork (preload_app is off): the model, its
        # native thread pools and any MLflow client belong to the serving process.
        return create_app(self.settings)


def serve(settings: Settings, host: str, port: int) -> None:
    """Run gunicorn in this process until SIGTERM, then finish in-flight requests."""
    options: dict[str, Any] = {
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": 1,  # see the module docstring
        "worker_class": RequestThreadWorker,
        "threads": THREADS,
        "keepalive": 5,
        # The model loads before the worker's first heartbeat: allow a slow registry.
        "timeout": 120,
        "graceful_timeout": 10,
        "logger_class": JsonLogger,
        "loglevel": settings.log_level.lower(),
        "control_socket_disable": True,  # a per-user socket in $HOME; containers do not use it
    }
    # The worker's heartbeat file on a container's overlay filesystem can stall it; tmpfs cannot.
    shm = Path("/dev/shm")  # noqa: S108
    if shm.is_dir():
        options["worker_tmp_dir"] = str(shm)
    GunicornServer(settings, options).run()
