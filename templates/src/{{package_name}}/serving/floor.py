"""The benchmark floor: a bare ASGI app that parses JSON and calls the same Predictor.

It is what any HTTP server must pay at the least (socket, HTTP parsing, JSON, the
model), so `make bench` reports the real server's latency as a ratio to it.
Not for production: it validates nothing.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

from ..io.bundle import load_predictor
from ..settings import get_settings
from .loader import limit_native_threads

Message = MutableMapping[str, Any]
ASGIApp = Callable[
    [
        MutableMapping[str, Any],
        Callable[[], Awaitable[Message]],
        Callable[[Message], Awaitable[None]],
    ],
    Awaitable[None],
]


def floor_app() -> ASGIApp:
    """Factory for `uvicorn --factory`: loads the bundle at MODEL_URI (a directory)."""
    limit_native_threads()
    predictor = load_predictor(Path(get_settings().model_uri))

    async def app(
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":
            return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        payload = b'{"status":"ready"}'
        if scope["method"] == "POST":
            predictions = predictor.predict(json.loads(body)["records"])
            payload = json.dumps({"predictions": [p.model_dump() for p in predictions]}).encode()
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    return app
