"""A small client for this project's REST server, standard library only.

Used by `make bench`, by the contract tests, and by anyone who wants to call the
server from Python without another dependency.
"""

from __future__ import annotations

import http.client
import json
from typing import Any

from .contract import InvalidRequestError

JSON = {"Content-Type": "application/json"}


class ServingClient:
    """One keep-alive connection to the server; not thread-safe (one per thread)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 8000, timeout: float = 30) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self._connection = http.client.HTTPConnection(host, port, timeout=timeout)

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        """One round trip; reconnects once if the server closed an idle keep-alive connection."""
        for attempt in (1, 2):
            try:
                self._connection.request(method, path, body=body, headers=JSON)
                response = self._connection.getresponse()
                return response.status, response.read()
            except (http.client.HTTPException, OSError):
                self._connection.close()
                self._connection = http.client.HTTPConnection(
                    self.host, self.port, timeout=self.timeout
                )
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def live(self) -> bool:
        return self.request("GET", "/health/live")[0] == 200

    def ready(self) -> bool:
        return self.request("GET", "/health/ready")[0] == 200

    def metadata(self) -> dict[str, Any]:
        status, body = self.request("GET", "/v1/model")
        if status != 200:
            raise RuntimeError(f"/v1/model answered {status}")
        result: dict[str, Any] = json.loads(body)
        return result

    def predict(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Predictions for `records`; an invalid batch raises InvalidRequestError."""
        return self.predict_raw(json.dumps({"records": records}).encode())

    def predict_raw(self, body: bytes) -> list[dict[str, Any]]:
        status, answer = self.request("POST", "/v1/predict", body)
        if status == 422:
            raise InvalidRequestError(json.loads(answer)["detail"])
        if status != 200:
            raise RuntimeError(f"/v1/predict answered {status}: {answer[:200]!r}")
        predictions: list[dict[str, Any]] = json.loads(answer)["predictions"]
        return predictions

    def metrics(self) -> str:
        return self.request("GET", "/metrics")[1].decode()

    def close(self) -> None:
        self._connection.close()
