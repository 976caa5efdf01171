"""Register: version the trained model and promote it only if it beats the champion.

Candidate and champion are scored on the same, current validation split, so the
gate compares like with like even when the champion was trained on older data.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from mlflow import MlflowClient

from ..core.metrics import GREATER_IS_BETTER, PRIMARY_METRIC, compute_metrics
from ..core.predictor import Predictor
from ..core.promotion import PromotionDecision, decide
from ..core.schemas import TARGET
from ..io import registry
from ..io.bundle import BundleIntegrityError, OtherSchemaError, load_predictor
from ..settings import Settings
from . import state

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RegistrationResult:
    version: str
    promoted: bool
    reason: str


def _score(predictor: Predictor, valid: pd.DataFrame) -> float:
    target = valid[TARGET].to_numpy()
    scores = predictor.scores(valid)
    return compute_metrics(target, scores, predictor.metadata.threshold)[PRIMARY_METRIC]


class _ChampionOnOtherSchemaError(Exception):
    """The champion was trained on other fields: no metric on today's data compares."""

    def __init__(self, version: str, error: OtherSchemaError) -> None:
        super().__init__(f"champion version {version}: {error}")
        self.version = version


def _champion_metric(
    client: MlflowClient, settings: Settings, valid: pd.DataFrame
) -> tuple[str | None, float | None]:
    """The champion's primary metric on the current validation split."""
    current = registry.champion(client, settings.model_name)
    if current is None:
        return None, None
    uri = f"models:/{settings.model_name}@{registry.CHAMPION}"
    try:
        with registry.downloaded_bundle(uri, settings.mlflow_tracking_uri) as bundle:
            predictor = load_predictor(bundle)
        return current.version, _score(predictor, valid)
    except OtherSchemaError as error:
        raise _ChampionOnOtherSchemaError(current.version, error) from error
    except BundleIntegrityError as error:
        # A champion this build cannot load (other framework, tampered files) is
        # judged on the metric it logged when it was trained.
        logger.warning(
            "champion not loadable, using its logged metric", extra={"error": str(error)}
        )
        run = client.get_run(current.run_id) if current.run_id else None
        logged = run.data.metrics.get(f"valid_{PRIMARY_METRIC}") if run else None
        return current.version, logged


def run(settings: Settings, run_id: str | None = None) -> RegistrationResult:
    """Register training run `run_id` (the newest if None); promote it if it wins the gate."""
    last = state.load(settings, run_id)
    valid = pd.read_parquet(last.valid_path)
    candidate = _score(load_predictor(Path(last.bundle_dir)), valid)

    client = registry.configure(settings)
    try:
        champion_version, champion_metric = _champion_metric(client, settings, valid)
        decision: PromotionDecision = decide(
            PRIMARY_METRIC,
            candidate,
            champion_metric,
            greater_is_better=GREATER_IS_BETTER,
            min_improvement=settings.min_improvement,
        )
    except _ChampionOnOtherSchemaError as other:
        # The schema changed on purpose (`make schema`): the old champion cannot
        # score, nor be served for, the new records, so the candidate replaces it.
        champion_version = other.version
        decision = PromotionDecision(
            True, f"{other}; candidate {PRIMARY_METRIC}={candidate:.4f} replaces it"
        )
    ref = registry.register(client, settings.model_name, last.run_id)
    client.set_model_version_tag(ref.name, ref.version, "promotion", decision.reason)
    client.set_model_version_tag(ref.name, ref.version, "data_fingerprint", last.data_fingerprint)
    if decision.promote:
        registry.promote(client, ref)
    logger.info(
        "registered",
        extra={
            "model": ref.name,
            "version": ref.version,
            "promoted": decision.promote,
            "previous_champion": champion_version,
            "reason": decision.reason,
        },
    )
    return RegistrationResult(ref.version, decision.promote, decision.reason)
