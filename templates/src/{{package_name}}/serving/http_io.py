"""What the HTTP adapters read and write: request bodies in, framework-free answers out.

Clients differ in what they send: curl and most libraries say `application/json`,
the Triton client sends no Content-Type at all, some compress. Every adapter reads
its raw bytes through here, so each server accepts and refuses the same bodies:
an unsupported media type or encoding is a 415, a body over MAX_REQUEST_BYTES
(compressed or not) a 413, and bytes that are not UTF-8 JSON an invalid argument
at `body`, never a server error.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .contract import InvalidRequestError, json_safe

JSON_MEDIA_TYPE = "application/json"
BINARY_MEDIA_TYPE = "application/octet-stream"
# zlib's window bits for each Content-Encoding it can undo (gzip header, zlib header).
_DECODERS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


@dataclass(frozen=True)
class Answer:
    """One HTTP response; each adapter copies it into its framework's response object."""

    status: int
    body: bytes
    media_type: str = JSON_MEDIA_TYPE
    headers: tuple[tuple[str, str], ...] = ()


def json_answer(payload: Any, status: int = 200) -> Answer:
    """Strict JSON: an echoed NaN or infinity becomes its name, never a bare `NaN` token."""
    return Answer(status, json.dumps(json_safe(payload), allow_nan=False).encode())


def refusal(path: str, status: int, message: str) -> Answer:
    """An error answer in the dialect of the path: `{"error"}` under /v2, `{"detail"}` elsewhere.

    For the answers no operation gives itself: unknown routes, wrong methods,
    bodies refused before they reach a route.
    """
    key = "error" if path == "/v2" or path.startswith("/v2/") else "detail"
    return json_answer({key: message}, status)


class UnsupportedMediaTypeError(ValueError):
    """A Content-Type or Content-Encoding the server does not read (415)."""


class PayloadTooLargeError(ValueError):
    """A body larger than MAX_REQUEST_BYTES once decompressed (413)."""


def media_type(headers: Mapping[str, str]) -> str:
    """The Content-Type without parameters, lower-case; "" when the client sent none."""
    return headers.get("content-type", "").partition(";")[0].strip().lower()


def check_media_type(headers: Mapping[str, str], *allowed: str) -> None:
    """No Content-Type is read as JSON (the Triton client sends none); others must be listed."""
    found = media_type(headers)
    if found and found not in allowed:
        raise UnsupportedMediaTypeError(
            f"Content-Type {found} is not supported; send {' or '.join(allowed)}"
        )


def decode_body(raw: bytes, headers: Mapping[str, str], limit: int) -> bytes:
    """Undo a gzip or deflate Content-Encoding without ever holding more than `limit` bytes."""
    if len(raw) > limit:
        raise PayloadTooLargeError(f"request body exceeds MAX_REQUEST_BYTES={limit}")
    encoding = headers.get("content-encoding", "identity").strip().lower()
    if encoding in ("", "identity"):
        body = raw
    elif encoding in _DECODERS:
        inflater = zlib.decompressobj(_DECODERS[encoding])
        try:
            body = inflater.decompress(raw, limit + 1)
        except zlib.error as error:
            loc: list[str | int] = ["body"]
            message = f"body is not valid {encoding} data: {error}"
            raise InvalidRequestError([{"type": "encoding", "loc": loc, "msg": message}]) from None
        if not inflater.eof and len(body) <= limit:
            message = f"body is truncated {encoding} data"
            raise InvalidRequestError([{"type": "encoding", "loc": ["body"], "msg": message}])
    else:
        raise UnsupportedMediaTypeError(
            f"Content-Encoding {encoding} is not supported; send gzip, deflate or identity"
        )
    if len(body) > limit:
        raise PayloadTooLargeError(f"request body exceeds MAX_REQUEST_BYTES={limit}")
    return body


def _number(text: str) -> float | int:
    """A JSON number with a fraction part of zero is an integer, as JSON Schema reads it.

    `3.0` is then as good as `3` for an integer field, and floats still take both.
    """
    value = float(text)
    return int(value) if value.is_integer() else value


def parse_json(body: bytes) -> Any:
    """UTF-8 JSON, or an invalid argument at `body` saying what is wrong with it."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        message = f"body is not UTF-8 text (byte {error.start})"
        raise InvalidRequestError(
            [{"type": "json_invalid", "loc": ["body"], "msg": message}]
        ) from None
    try:
        return json.loads(text, parse_float=_number)
    except json.JSONDecodeError as error:
        message = f"JSON decode error: {error.msg}"
        raise InvalidRequestError(
            [{"type": "json_invalid", "loc": ["body", error.pos], "msg": message}]
        ) from None
    except RecursionError:
        message = "JSON nested too deeply"
        raise InvalidRequestError(
            [{"type": "json_invalid", "loc": ["body"], "msg": message}]
        ) from None
