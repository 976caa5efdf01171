"""The serving contract shared by every adapter: what a valid batch is, and how a bad one fails.

Adapters turn their wire format into plain Python values and call `parse_batch`;
an `InvalidRequestError` carries pydantic-style errors whose `loc` names the
field, which each adapter maps to its framework's "invalid argument" answer
(HTTP 422, gRPC INVALID_ARGUMENT). Nothing here knows about a framework.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from ..core.schemas import FeatureRecord, Prediction


class PredictResponse(BaseModel):
    """What every REST adapter answers to a batch: the model that scored it, and one
    prediction per record, in order."""

    model_config = ConfigDict(frozen=True)

    model_name: str
    model_version: str | None
    predictions: list[Prediction]


class InvalidRequestError(ValueError):
    """The request does not describe a valid batch; `errors` locate every problem."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors))
        self.errors = errors

    @property
    def fields(self) -> list[str]:
        """Every name that appears in an error location (field names, `records`, …)."""
        return sorted({str(part) for error in self.errors for part in error["loc"]})


def check_batch_size(count: int, limit: int, loc: list[str | int]) -> None:
    """Empty and oversized batches are invalid arguments, not server errors."""
    if count == 0:
        raise InvalidRequestError([{"type": "too_short", "loc": loc, "msg": "empty batch"}])
    if count > limit:
        message = f"batch of {count} records exceeds MAX_BATCH_SIZE={limit}"
        raise InvalidRequestError([{"type": "too_long", "loc": loc, "msg": message}])


def parse_records(rows: Any, limit: int, loc: list[str | int] | None = None) -> list[FeatureRecord]:
    """Validate a list of JSON-like rows into records, reporting every bad field at once."""
    loc = loc or ["body", "records"]
    if not isinstance(rows, list):
        raise InvalidRequestError([{"type": "list_type", "loc": loc, "msg": "expected a list"}])
    check_batch_size(len(rows), limit, loc)
    records: list[FeatureRecord] = []
    errors: list[dict[str, Any]] = []
    for index, row in enumerate(rows):
        try:
            records.append(FeatureRecord.model_validate(row))
        except ValidationError as error:
            errors += [
                {"type": d["type"], "loc": [*loc, index, *d["loc"]], "msg": d["msg"]}
                for d in error.errors(include_url=False, include_input=False)
            ]
    if errors:
        raise InvalidRequestError(errors)
    return records


def parse_batch(payload: Any, limit: int) -> list[FeatureRecord]:
    """`{"records": [...]}` → validated records; any other key is refused, like extra fields."""
    if not isinstance(payload, dict) or "records" not in payload:
        raise InvalidRequestError(
            [{"type": "missing", "loc": ["body", "records"], "msg": "field required"}]
        )
    extra = [
        {"type": "extra_forbidden", "loc": ["body", key], "msg": "Extra inputs are not permitted"}
        for key in payload
        if key != "records"
    ]
    if extra:
        raise InvalidRequestError(extra)
    return parse_records(payload["records"], limit)


def json_safe(value: Any) -> Any:
    """Replace non-finite floats (which JSON cannot carry) by their names.

    Error answers echo the offending value, and a NaN or infinity sent by a
    client must not turn the 422 itself into invalid JSON.
    """
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    return value
