"""The gRPC wire format: `*.proto` here, Python stubs generated next to them by `make proto`.

The services (inference.proto, open_inference.proto) are written by hand; the
messages of the record and the prediction (schemas.proto) are written from
core/schemas.py by generate.py. schemas.proto and the stubs are build output
(git-ignored), so they always match the schema, the installed grpcio-tools and the
protobuf runtime; check.py stops the server and the client when they do not. The
names below are conventions both ends of the wire share.
"""

# A health-service name that is SERVING as soon as the process answers, for liveness
# probes; "" (the whole server) turns SERVING only once the model is loaded.
LIVENESS = "liveness"


def metrics_port(port: int) -> int:
    """Prometheus scrapes over HTTP/1.1, which a gRPC port does not speak: the next port."""
    return port + 1
