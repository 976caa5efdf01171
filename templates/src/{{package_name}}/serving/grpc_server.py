"""gRPC adapter: the typed service, the Open Inference Protocol, health and reflection.

One port serves `<package>.v1.InferenceService` (batch Predict, model metadata),
the protocol's `inference.GRPCInferenceService` (grpc_open_inference.py), the
standard health service and reflection. Everything here is transport: records
are validated by the shared contract and scored by the core Predictor; bad input,
down to bytes that are no protobuf message, is INVALID_ARGUMENT naming the field
(grpc_common.py), never INTERNAL. Prometheus scrapes /metrics over HTTP on the
next port (a gRPC port speaks only HTTP/2).
"""

from __future__ import annotations

import logging
import signal
from concurrent import futures
from types import FrameType

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from prometheus_client import start_http_server

from ..core.predictor import Predictor
from ..settings import Settings
from .contract import parse_records
from .grpc_common import RejectUndecodable, ServedModel, rpc
from .grpc_open_inference import SERVICE as OPEN_INFERENCE_SERVICE
from .grpc_open_inference import OpenInferenceServicer
from .loader import limit_native_threads
from .proto import LIVENESS, inference_pb2, inference_pb2_grpc, metrics_port, schemas_pb2
from .proto import open_inference_pb2_grpc as oip_grpc
from .proto.check import StaleStubsError, check_stubs
from .tensors import NULLABLE

logger = logging.getLogger(__name__)
SERVICE = inference_pb2.DESCRIPTOR.services_by_name["InferenceService"].full_name
# Health names that turn SERVING with the model: the whole server ("") and each service.
MODEL_HEALTH = ("", SERVICE, OPEN_INFERENCE_SERVICE)
# No null on the wire: a nullable feature the client left out is None, any other is missing.
ABSENT_IS_NONE = dict.fromkeys(NULLABLE)
# One request per worker thread; more queue in gRPC's completion queue, not in Python.
WORKERS = 16
GRACE_SECONDS = 10
OPTIONS = [
    # Fail loudly if the port is taken instead of sharing it with another process.
    ("grpc.so_reuseport", 0),
    # HTTP/2 connections live long and a Kubernetes Service balances connections, not
    # calls: recycling them lets clients reach replicas the autoscaler adds.
    ("grpc.max_connection_age_ms", 5 * 60 * 1000),
    ("grpc.max_connection_age_grace_ms", GRACE_SECONDS * 1000),
]


class InferenceServicer(inference_pb2_grpc.InferenceServiceServicer):
    """The two RPCs of inference.proto; method names are the RPC names, hence N802."""

    def __init__(self, served: ServedModel) -> None:
        self.served = served

    def Predict(  # noqa: N802
        self, request: inference_pb2.PredictRequest, context: grpc.ServicerContext
    ) -> inference_pb2.PredictResponse:
        with rpc("Predict", context):
            model = self.served.loaded()
            # Only the fields the client set: an absent field must fail as missing, not be zero.
            rows = [
                {**ABSENT_IS_NONE, **{f.name: value for f, value in r.ListFields()}}
                for r in request.records
            ]
            records = parse_records(rows, self.served.settings.max_batch_size, ["records"])
            predictions = self.served.predict(model, records)
            return inference_pb2.PredictResponse(
                model_name=model.metadata.name,
                model_version=model.metadata.version,
                predictions=[schemas_pb2.Prediction(**p.model_dump()) for p in predictions],
            )

    def GetModelMetadata(  # noqa: N802
        self, request: inference_pb2.GetModelMetadataRequest, context: grpc.ServicerContext
    ) -> inference_pb2.ModelMetadata:
        with rpc("GetModelMetadata", context):
            document = self.served.loaded().metadata.as_dict()
            schema = document.pop("feature_schema")
            # Absent, not empty: `version`, `alias`, `run_id` and `threshold` may be unknown.
            message = inference_pb2.ModelMetadata(
                **{key: value for key, value in document.items() if value is not None}
            )
            message.feature_schema.update(schema)
            return message


def health_statuses() -> health.HealthServicer:
    """Live at once; the server ("") and the inference services stay NOT_SERVING until loaded."""
    statuses = health.HealthServicer()
    statuses.set(LIVENESS, health_pb2.HealthCheckResponse.SERVING)
    for name in MODEL_HEALTH:
        statuses.set(name, health_pb2.HealthCheckResponse.NOT_SERVING)
    return statuses


def create_server(served: ServedModel, statuses: health.HealthServicer) -> grpc.Server:
    """The server with both inference services, health and reflection (not yet bound)."""
    server = grpc.server(
        # OpenMP limits are per thread: each worker sets its own, not just the main thread.
        futures.ThreadPoolExecutor(max_workers=WORKERS, initializer=limit_native_threads),
        interceptors=[RejectUndecodable()],
        options=OPTIONS,
    )
    inference_pb2_grpc.add_InferenceServiceServicer_to_server(InferenceServicer(served), server)
    oip_grpc.add_GRPCInferenceServiceServicer_to_server(OpenInferenceServicer(served), server)
    health_pb2_grpc.add_HealthServicer_to_server(statuses, server)
    reflection.enable_server_reflection(
        (SERVICE, OPEN_INFERENCE_SERVICE, health.SERVICE_NAME, reflection.SERVICE_NAME), server
    )
    return server


def load_model(served: ServedModel, statuses: health.HealthServicer) -> None:
    """Load MODEL_URI into the running server, turn it SERVING, then follow the champion."""

    def serving(_: Predictor) -> None:
        for name in MODEL_HEALTH:
            statuses.set(name, health_pb2.HealthCheckResponse.SERVING)

    served.listeners.append(serving)
    try:
        served.load()
    except Exception:
        # Stay up but unready: the orchestrator keeps traffic away and the logs say why.
        logger.exception("model could not be loaded", extra={"uri": served.settings.model_uri})
    served.follow()


def serve(settings: Settings, host: str, port: int) -> None:
    """Listen first, then load the model: probes see a live, not-yet-ready server meanwhile.

    Stubs generated from another schema stop the start, naming each field that differs:
    a server that reports SERVING and refuses every record is worse than none.
    """
    try:
        check_stubs()
    except StaleStubsError as error:
        raise SystemExit(f"serve: {error}") from None
    limit_native_threads()
    served = ServedModel(settings)
    statuses = health_statuses()
    server = create_server(served, statuses)
    address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    server.add_insecure_port(address)
    start_http_server(metrics_port(port), addr=host)
    server.start()
    logger.info("serving", extra={"address": address, "metrics_port": metrics_port(port)})

    def stop(signum: int, frame: FrameType | None) -> None:
        # Unready first, then finish in-flight calls within the grace period.
        statuses.enter_graceful_shutdown()
        server.stop(GRACE_SECONDS)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    load_model(served, statuses)
    server.wait_for_termination()
    served.close()
