"""The model a server answers with: it follows the champion and logs what it scores.

Every adapter asks `ServedModel` for the predictor per request and scores through it,
so three things hold for all of them at once:

- a newly promoted `@champion` is served without a restart: a thread asks the registry
  every MODEL_REFRESH_SECONDS which version holds the alias, loads a new one completely
  (download, hash checks, warm-up) beside the old and then swaps one reference, so a
  request in flight finishes on the model it started with and none fails;
- a model that fails to load keeps the current one serving, and says so in the logs and
  in `model_reloads_total{outcome="failed"}`;
- every scored batch goes to the inference log (io/inference_log.py) and the output
  histogram, off the request path.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

from prometheus_client import Counter, Gauge

from ..core.predictor import Predictor
from ..core.schemas import FeatureRecord, Prediction
from ..io.inference_log import InferenceLog, LogCounts
from ..settings import Settings
from . import telemetry
from .loader import load_served_model

logger = logging.getLogger(__name__)
RELOADS = Counter("model_reloads_total", "Champion changes picked up while serving", ["outcome"])
SERVED_VERSION = Gauge("served_model_version", "Registry version of the model being served")
LOGGED = Gauge("inference_log_records", "Records offered to the inference log", ["outcome"])
for _outcome in ("loaded", "failed"):  # at 0 from the start: increase() sees the first
    RELOADS.labels(_outcome)


class ServedModel:
    """The current predictor (None until loaded), swapped when the champion moves."""

    def __init__(self, settings: Settings, predictor: Predictor | None = None) -> None:
        self.settings = settings
        self._predictor = predictor
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None
        # Called with each model once it serves (gRPC turns its health SERVING).
        self.listeners: list[Callable[[Predictor], None]] = []
        self.log = InferenceLog.from_settings(settings)
        self._show(predictor)
        # Set by the writer thread as its counts change, current even between requests.
        self.log.on_count = _show_counts
        _show_counts(self.log.counts)
        self.monitor_gauges = telemetry.MonitorGauges(settings.monitor_gauges_path)
        self.monitor_gauges.start()

    def __call__(self) -> Predictor | None:
        return self._predictor

    def load(self) -> Predictor:
        """Load the model at MODEL_URI now; raises when it cannot be loaded."""
        predictor = load_served_model(self.settings)
        self._predictor = predictor
        self._show(predictor)
        metadata = predictor.metadata
        logger.info("model loaded", extra={"model": metadata.name, "version": metadata.version})
        for listener in self.listeners:
            listener(predictor)
        return predictor

    def predict(
        self,
        model: Predictor,
        records: Sequence[FeatureRecord],
        ids: Sequence[str] | None = None,
    ) -> list[Prediction]:
        """Score with `model` (the one the request started with), observe and log.

        `ids` name the records for labels that arrive later (an id column's values);
        without them the log makes one per record."""
        predictions = model.predict(records)
        telemetry.observe_predictions(predictions)
        self.log.record(records, predictions, model.metadata.version, ids)
        return predictions

    @property
    def follows(self) -> bool:
        """Only an alias moves: a fixed version, a run or a local bundle never changes."""
        uri = self.settings.model_uri
        return uri.startswith("models:/") and "@" in uri and self.settings.model_refresh_seconds > 0

    def follow(self) -> None:
        """Start watching the alias (no-op when MODEL_URI names no alias)."""
        if self.follows and self._watcher is None:
            self._watcher = threading.Thread(target=self._watch, name="champion", daemon=True)
            self._watcher.start()

    def close(self) -> None:
        self._stop.set()
        self.monitor_gauges.stop()
        if self._watcher is not None:
            self._watcher.join(timeout=30)
        self.log.close()

    def refresh(self) -> bool:
        """Swap in the alias's version if it moved; True when a new model serves."""
        from ..io import registry

        uri = self.settings.model_uri
        try:
            ref = registry.resolve_alias(uri, self.settings.mlflow_tracking_uri)
        except Exception as error:  # no alias yet, or the registry is down: ask again later
            logger.warning("champion not resolved", extra={"uri": uri, "error": str(error)})
            return False
        current = self._predictor.metadata.version if self._predictor else None
        if ref is None or ref.version == current:
            return False
        try:
            self.load()
        except Exception:
            RELOADS.labels("failed").inc()
            logger.exception("new champion not loaded, serving on", extra={"version": ref.version})
            return False
        RELOADS.labels("loaded").inc()
        return True

    def _watch(self) -> None:
        while not self._stop.wait(self.settings.model_refresh_seconds):
            self.refresh()

    @staticmethod
    def _show(predictor: Predictor | None) -> None:
        version = predictor.metadata.version if predictor else None
        if version is not None and version.isdigit():
            SERVED_VERSION.set(int(version))


def _show_counts(counts: LogCounts) -> None:
    for outcome, value in vars(counts).items():
        LOGGED.labels(outcome).set(value)
