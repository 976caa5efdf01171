"""Score card transactions as they arrive on a Redis stream: a consumer group, at-least-once.

A message is one transaction, one field per feature, plus an optional
`transaction_id`. Values are JSON scalars and text may be bare, which is what
`redis-cli XADD transactions * amount 12.5 merchant_category grocery card_present
true ...` sends. The messages of one XREADGROUP call are checked by the serving
contract and scored as one batch. Each result goes to the output stream with the
input message id (`input_id`); a bad message goes to the dead-letter stream with
an error naming the field. Only then are the messages acknowledged, so a crash
loses nothing: on restart the consumer first re-reads its own pending entries, and
it claims the ones a dead consumer left behind (XAUTOCLAIM). A crash between the
write and the acknowledgement scores a message twice; readers drop duplicates by
`input_id`.

Prometheus metrics, liveness and readiness are served over HTTP on
STREAM_METRICS_PORT (`/metrics`, `/health/live`, `/health/ready`). Liveness fails
when the consume loop has not finished a turn for STREAM_STALL_SECONDS: a read
returns at least every STREAM_BLOCK_MS even when the stream is idle, so silence
means the loop is stuck (a Redis that stopped answering, a hung call).
"""

from __future__ import annotations

import json
import logging
import signal
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Any

import redis
from prometheus_client import Counter, Gauge, Histogram
from redis.typing import EncodableT, FieldT

from ..core.schemas import ID_COLUMN, FeatureRecord, Prediction
from ..settings import Settings
from . import telemetry
from .champion import ServedModel
from .contract import InvalidRequestError, parse_records
from .loader import limit_native_threads

logger = logging.getLogger(__name__)
Entry = tuple[str, dict[str, str] | None]
Message = dict[FieldT, EncodableT]
# How often the group's pending count and lag are sampled (one XINFO GROUPS each time).
GROUP_STATS_SECONDS = 5.0

READ = Counter(
    "stream_messages_read_total",
    "Messages read: new, this consumer's pending after a restart, or claimed from another",
    ["source"],
)
SCORED = Counter("stream_messages_scored_total", "Messages scored and written to the output")
DEAD_LETTERED = Counter(
    "stream_messages_dead_lettered_total",
    "Messages sent to the dead-letter stream, by the type of their first error",
    ["reason"],
)
BATCH_LATENCY = Histogram(
    "stream_batch_duration_seconds",
    "Checking, scoring, writing and acknowledging the messages of one read",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
PENDING = Gauge("stream_group_pending_messages", "Delivered to the group, not yet acknowledged")
LAG = Gauge("stream_group_lag_messages", "In the input stream, not yet delivered to the group")
PROGRESS = Gauge(
    "stream_last_progress_timestamp_seconds",
    "When the consume loop last finished a turn (Unix time; 0 before it starts)",
)
for _source in ("new", "pending", "claimed"):
    READ.labels(_source)  # exported as 0 from the start, so rates have a baseline


@dataclass(frozen=True)
class StreamSummary:
    """What a run did; the CLI prints it as JSON when the consumer stops."""

    messages: int
    scored: int
    dead_lettered: int
    seconds: float


def decode_value(text: str) -> Any:
    """A JSON scalar (`12.5`, `3`, `true`) as such; anything else (`grocery`) as text."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def entries_of(reply: Any) -> list[Entry]:
    """Message ids and decoded fields from an XREADGROUP or XAUTOCLAIM reply.

    Fields are None for an entry deleted from the stream while it was pending (it
    only needs acknowledging). Bytes that are not UTF-8 are replaced, so the contract
    rejects them: a message that cannot be decoded must not stop the consumer.
    """
    entries: list[Entry] = []
    for message_id, fields in reply:
        if message_id is None:
            continue
        pairs = (fields or {}).items()
        decoded = {k.decode(errors="replace"): v.decode(errors="replace") for k, v in pairs}
        entries.append((message_id.decode(), decoded or None))
    return entries


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGTERM and SIGINT finish the batch in hand, then stop (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, _: FrameType | None) -> None:
        logger.info("stopping", extra={"signal": signal.Signals(signum).name})
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


class StreamScorer:
    """One consumer of the group: read, check, score, write, and only then acknowledge."""

    def __init__(
        self,
        client: redis.Redis,
        settings: Settings,
        served: ServedModel,
        heartbeat: telemetry.Heartbeat,
    ) -> None:
        self.client = client
        self.settings = settings
        self.served = served
        self.heartbeat = heartbeat
        self.consumer = settings.stream_consumer or socket.gethostname()
        self.stop = threading.Event()
        self.scored = 0
        self.dead_lettered = 0

    def ensure_group(self) -> None:
        """Create the group (and the stream) once; from id 0, so earlier messages count."""
        try:
            self.client.xgroup_create(
                self.settings.stream_input, self.settings.stream_group, id="0", mkstream=True
            )
        except redis.ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise

    def read(self, start: str, count: int) -> list[Entry]:
        """`start="0"`: this consumer's pending entries; `">"`: new messages (blocking)."""
        reply: Any = self.client.xreadgroup(
            self.settings.stream_group,
            self.consumer,
            {self.settings.stream_input: start},
            count=count,
            block=self.settings.stream_block_ms if start == ">" else None,
        )
        return [entry for _, entries in reply or [] for entry in entries_of(entries)]

    def claim(self, count: int) -> list[Entry]:
        """Take over entries another consumer has left pending for too long."""
        reply: Any = self.client.xautoclaim(
            self.settings.stream_input,
            self.settings.stream_group,
            self.consumer,
            min_idle_time=self.settings.stream_claim_idle_ms,
            count=count,
        )
        return entries_of(reply[1])

    def observe_group(self) -> None:
        """Sample the group's pending count and lag (lag needs Redis 7; it may be unknown)."""
        reply: Any = self.client.xinfo_groups(self.settings.stream_input)
        for group in reply:
            if group["name"] == self.settings.stream_group.encode():
                PENDING.set(group["pending"])
                if group.get("lag") is not None:
                    LAG.set(group["lag"])

    def process(self, entries: list[Entry]) -> None:
        """Score the valid messages as one batch, dead-letter the rest, then acknowledge all."""
        if not entries:
            return
        started = time.perf_counter()
        valid: list[tuple[str, dict[str, str], FeatureRecord]] = []
        invalid: list[tuple[str, dict[str, str], InvalidRequestError]] = []
        for message_id, fields in entries:
            if fields is None:
                continue
            features = {name: text for name, text in fields.items() if name != ID_COLUMN}
            values = {name: decode_value(text) for name, text in features.items()}
            try:
                [record] = parse_records([values], limit=1, loc=["message"])
            except InvalidRequestError as error:
                invalid.append((message_id, fields, error))
            else:
                valid.append((message_id, fields, record))
        model = self.served()
        if model is None:  # run() loads the model first: a scorer never starts without one
            raise RuntimeError("no model loaded")
        # Labels arrive by the id column's value when messages carry one.
        ids = [fields.get(ID_COLUMN or "", message_id) for message_id, fields, _ in valid]
        records = [record for *_, record in valid]
        predictions = self.served.predict(model, records, ids) if valid else []
        version = model.metadata.version or ""
        writes = self.client.pipeline(transaction=False)
        for (message_id, fields, _), prediction in zip(valid, predictions, strict=True):
            result = self.result(message_id, fields, prediction, version)
            writes.xadd(self.settings.stream_output, result)
        for message_id, fields, problem in invalid:
            writes.xadd(self.settings.stream_dead_letter, dead_letter(message_id, fields, problem))
        writes.execute()  # raises if any write failed: then nothing is acknowledged
        ids = [message_id for message_id, _ in entries]
        self.client.xack(self.settings.stream_input, self.settings.stream_group, *ids)
        self.scored += len(valid)
        self.dead_lettered += len(invalid)
        SCORED.inc(len(valid))
        for *_, problem in invalid:
            DEAD_LETTERED.labels(problem.errors[0]["type"]).inc()
        BATCH_LATENCY.observe(time.perf_counter() - started)
        logger.debug("batch", extra={"scored": len(valid), "dead_lettered": len(invalid)})

    @staticmethod
    def result(
        message_id: str, fields: dict[str, str], prediction: Prediction, version: str
    ) -> Message:
        message: Message = {"input_id": message_id}
        if ID_COLUMN in fields:
            message[ID_COLUMN] = fields[ID_COLUMN]
        message.update({name: json.dumps(value) for name, value in prediction.model_dump().items()})
        message["model_version"] = version
        return message

    def run(self, max_messages: int | None = None) -> int:
        """Consume until stopped (or `max_messages` handled); returns the messages handled."""
        self.ensure_group()
        handled = 0
        backlog_from: str | None = "0"  # our own pending entries first: a crash left them
        next_claim = next_stats = time.monotonic()
        claiming = self.settings.stream_claim_idle_ms > 0
        self.heartbeat.beat()  # ready: consuming from here on
        while not self.stop.is_set() and (max_messages is None or handled < max_messages):
            count = self.settings.stream_batch_count
            if max_messages is not None:
                count = min(count, max_messages - handled)
            if backlog_from is not None:
                source, entries = "pending", self.read(backlog_from, count)
                backlog_from = entries[-1][0] if entries else None
            elif claiming and time.monotonic() >= next_claim:
                source, entries = "claimed", self.claim(count)
                if len(entries) < count:
                    next_claim = time.monotonic() + self.settings.stream_claim_idle_ms / 1000
            else:
                source, entries = "new", self.read(">", count)
            messages = sum(fields is not None for _, fields in entries)
            READ.labels(source).inc(messages)
            self.process(entries)
            handled += messages
            if time.monotonic() >= next_stats:
                self.observe_group()
                next_stats = time.monotonic() + GROUP_STATS_SECONDS
            self.heartbeat.beat()
        return handled


def dead_letter(message_id: str, fields: dict[str, str], error: InvalidRequestError) -> Message:
    """The original message and what is wrong with it, field by field."""
    problems = [(".".join(map(str, e["loc"][2:])), e["msg"]) for e in error.errors]
    return {
        "input_id": message_id,
        "error": "; ".join(f"{name}: {message}" for name, message in problems),
        "fields": ",".join(sorted({name for name, _ in problems})),
        "message": json.dumps(fields),
    }


def run(settings: Settings, max_messages: int | None = None) -> StreamSummary:
    """Load MODEL_URI and consume the input stream until SIGTERM (or `max_messages`).

    The metrics endpoint starts first, so a probe can tell a slow start (not ready
    yet) from a dead process.
    """
    started = time.perf_counter()
    heartbeat = telemetry.Heartbeat(settings.stream_stall_seconds, PROGRESS)
    host, port = settings.stream_metrics_host, settings.stream_metrics_port
    with telemetry.metrics_server(host, port, heartbeat):
        limit_native_threads()  # batches are small, as for the servers
        served = ServedModel(settings)
        served.load()
        served.follow()
        client = redis.Redis.from_url(settings.redis_url)
        scorer = StreamScorer(client, settings, served, heartbeat)
        logger.info(
            "consuming",
            extra={
                "stream": settings.stream_input,
                "group": settings.stream_group,
                "consumer": scorer.consumer,
                "metrics": f"http://{host}:{port}/metrics",
            },
        )
        try:
            with stop_on_signals(scorer.stop):
                handled = scorer.run(max_messages)
        finally:
            client.close()
            served.close()
    seconds = round(time.perf_counter() - started, 3)
    return StreamSummary(handled, scorer.scored, scorer.dead_lettered, seconds)
