"""The result type of every agreement coefficient, and the digest's rule for when one is n/a."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

# `masi`: set-valued (multi-choice) categories `x|y`, compared by the MASI distance (reports/metrics/sets.py).
Scale = Literal["nominal", "ordinal", "interval", "masi"]
SCALES: tuple[str, ...] = ("nominal", "ordinal", "interval", "masi")

# Below this many pairable items a coefficient swings wildly from one item to the next, so the
# digest prints "n/a" with the reason instead (quality-reference §C.7).
MIN_PAIRABLE = 20


@dataclass(frozen=True)
class Coefficient:
    """A chance-corrected agreement figure, or why it is n/a, with the raw agreement beside it."""

    value: float | None
    reason: str | None
    pairable: int
    raw_agreement: float | None
    ci: tuple[float, float] | None = None

    @property
    def available(self) -> bool:
        """True when the coefficient has a value."""
        return self.value is not None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (plain floats, the interval as a two-item list or None)."""
        return {
            "value": self.value,
            "reason": self.reason,
            "pairable": self.pairable,
            "raw_agreement": self.raw_agreement,
            "ci": list(self.ci) if self.ci is not None else None,
        }


def too_few_reason(pairable: int, what: str = "pairable items", minimum: int = MIN_PAIRABLE) -> str | None:
    """The n/a reason when fewer than `minimum` units can be compared, else None."""
    if pairable < minimum:
        return f"only {pairable} {what} (minimum {minimum})"
    return None


def single_label_reason(used: np.ndarray, labels: Sequence[str] | None) -> str:
    """The n/a reason when only one category occurs, naming it."""
    idx = np.flatnonzero(used)
    if len(idx) == 1:
        name = labels[idx[0]] if labels is not None else f"category {idx[0]}"
        return f"a single label was used ({name!r}): chance-corrected agreement is undefined"
    return "expected disagreement is zero: chance-corrected agreement is undefined"


def not_available(reason: str, pairable: int, raw_agreement: float | None) -> Coefficient:
    """An n/a coefficient that still carries the raw agreement."""
    return Coefficient(value=None, reason=reason, pairable=pairable, raw_agreement=raw_agreement)


def as_float(x: float | np.floating | None) -> float | None:
    """A plain Python float (JSON-safe), or None for a missing or non-finite number."""
    if x is None or not np.isfinite(x):
        return None
    return float(x)
