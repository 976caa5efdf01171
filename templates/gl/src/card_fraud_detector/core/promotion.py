"""The promotion gate: a new model becomes champion only if it beats the current one.

Both models are scored on the same, current validation split, so a champion
trained on older data is judged on today's data, not on its own old numbers.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PromotionDecision:
    promote: bool
    reason: str


def decide(
    metric: str,
    candidate: float,
    champion: float | None,
    *,
    greater_is_better: bool,
    min_improvement: float = 0.0,
) -> PromotionDecision:
    """Promote when there is no champion or the candidate wins by more than `min_improvement`."""
    if champion is None:
        return PromotionDecision(True, f"no champion yet; candidate {metric}={candidate:.4f}")
    gain = candidate - champion if greater_is_better else champion - candidate
    verdict = (
        f"candidate {metric}={candidate:.4f} vs champion {metric}={champion:.4f} "
        f"(gain {gain:+.4f}, required > {min_improvement:.4f})"
    )
    return PromotionDecision(gain > min_improvement, verdict)
