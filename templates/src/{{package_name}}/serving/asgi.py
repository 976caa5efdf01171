"""ASGI middleware of the servers that run on an event loop (FastAPI, BentoML).

A body over MAX_REQUEST_BYTES must be refused before it is held in memory, which
no route can do: the limit is enforced where the bytes arrive.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from .http_io import Answer

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
Refuse = Callable[[str, int, str], Answer]  # (path, status, message) -> answer


class BodyTooLargeError(Exception):
    """The body grew past the limit while it was being received."""


class BodyLimitMiddleware:
    """413 for a body over MAX_REQUEST_BYTES, before more of it is held in memory.

    A declared Content-Length is refused up front; a chunked body is counted as
    it arrives and refused the moment it passes the limit, before the app (or an
    error middleware of a mounted app) can answer anything else. `refuse` writes
    the answer in the adapter's error dialect.
    """

    def __init__(self, app: ASGIApp, limit: int, refuse: Refuse) -> None:
        self.app = app
        self.limit = limit
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limit:
            await self._refuse(scope, send)
            return
        received = 0
        started = refused = False

        async def counted() -> Message:
            nonlocal received, refused
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                if not started:  # answer now: whatever the app answers after this is dropped
                    await self._refuse(scope, send)
                    refused = True
                raise BodyTooLargeError
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if refused:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLargeError:
            if not refused:
                raise

    async def _refuse(self, scope: Scope, send: Send) -> None:
        from . import telemetry  # not at import: BentoML's supervisor imports this module too

        telemetry.ERRORS.labels("invalid_request").inc()
        message = f"request body exceeds MAX_REQUEST_BYTES={self.limit}"
        answer = self.refuse(scope["path"], 413, message)
        headers = [(b"content-type", answer.media_type.encode()), (b"connection", b"close")]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": answer.body})
