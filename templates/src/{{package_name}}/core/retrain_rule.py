"""When monitoring calls for retraining, in one sentence a reviewer can check.

Retrain when at least `breaches` of the last `windows` monitored windows breached the
drift threshold and the latest one did too: one noisy window never retrains (with
`breaches` above 1), a shift that went away does not either (the latest must breach),
and a lasting one does within `breaches` windows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class RetrainDecision:
    retrain: bool
    reason: str


@dataclass(frozen=True)
class RetrainRule:
    """At least `breaches` of the last `windows` windows breached, the latest among them."""

    breaches: int = 2
    windows: int = 3

    def __post_init__(self) -> None:
        if not 1 <= self.breaches <= self.windows:
            raise ValueError(
                f"the rule needs 1 <= breaches <= windows, got {self.breaches} of {self.windows}"
            )

    def decide(self, history: Sequence[bool]) -> RetrainDecision:
        """`history`: each window's breach, oldest first, the latest last."""
        recent = list(history)[-self.windows :]
        count = sum(recent)
        seen = f"{count} of the last {len(recent)} windows breached"
        if not recent or not recent[-1]:
            return RetrainDecision(False, f"the latest window did not breach ({seen})")
        if count < self.breaches:
            return RetrainDecision(False, f"{seen}; the rule needs {self.breaches}")
        rule = f"{self.breaches} of {self.windows}"
        return RetrainDecision(True, f"{seen}, the latest too (rule: {rule})")
