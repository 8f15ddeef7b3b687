"""Headline figures by cohort or guideline version, the alpha change across a release, and throughput."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from reports.metrics.agreement import bootstrap_alpha, krippendorff_alpha, percent_agreement
from reports.metrics.counts import count_table, encode, local_days
from reports.metrics.gold import gold_outcome, wilson_interval
from reports.metrics.result import MIN_PAIRABLE, Coefficient, Scale

UNSET = "(unset)"


def segment_summary(
    df: pd.DataFrame,
    labels: Sequence[str],
    scale: Scale = "nominal",
    gold: pd.DataFrame | None = None,
    by: Literal["cohort", "guideline_version"] = "cohort",
) -> pd.DataFrame:
    """Per segment value: annotations, items, annotators, alpha (or n/a reason), percent, gold accuracy."""
    if by not in df.columns:
        raise ValueError(f"annotations frame has no {by!r} column")
    enc = encode(df, labels)
    # Missing cohort/version is a segment of its own, not dropped: those annotations still count.
    seg = df[by].iloc[enc.row]
    seg_codes, seg_values = pd.factorize(seg.astype(object).where(seg.notna(), UNSET).astype(str), sort=True)
    outcome = gold_outcome(enc, gold) if gold is not None else np.full(len(enc.unit), -1, dtype=np.int8)
    rows = []
    for code, value in enumerate(seg_values):
        mask = seg_codes == code
        # Units outside the segment get all-zero rows, which every coefficient ignores.
        counts = enc.counts(mask)
        alpha = krippendorff_alpha(counts, scale, labels)
        n = int((outcome[mask] >= 0).sum())
        correct = int((outcome[mask] == 1).sum())
        low, high = wilson_interval(correct, n)
        rows.append(
            {
                by: value,
                "annotations": int(mask.sum()),
                "items": int(np.count_nonzero(counts.sum(axis=1))),
                "annotators": len(np.unique(enc.annotator[mask])),
                "pairable": alpha.pairable,
                "alpha": alpha.value,
                "alpha_reason": alpha.reason,
                "percent": percent_agreement(counts).value,
                "gold_n": n,
                "gold_correct": correct,
                "gold_accuracy": correct / n if n else None,
                "gold_ci_low": low if n else None,
                "gold_ci_high": high if n else None,
            }
        )
    out = pd.DataFrame(rows)
    return out.set_index(by) if len(out) else out


@dataclass(frozen=True)
class ReleaseChange:
    """Alpha before and after a guideline release and the change with a bootstrap 95% interval."""

    before: Coefficient
    after: Coefficient
    change: float | None
    ci: tuple[float, float] | None
    reason: str | None
    n_boot: int

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "before": self.before.to_json(),
            "after": self.after.to_json(),
            "change": self.change,
            "ci": list(self.ci) if self.ci is not None else None,
            "reason": self.reason,
            "n_boot": self.n_boot,
        }


def release_change(
    df_before: pd.DataFrame,
    df_after: pd.DataFrame,
    labels: Sequence[str],
    scale: Scale = "nominal",
    n_boot: int = 2000,
    seed: int = 0,
    min_pairable: int = MIN_PAIRABLE,
) -> ReleaseChange:
    """Alpha after minus before; items resampled within each period (percentile interval, fixed seed)."""
    _, before_counts = count_table(df_before, labels)
    _, after_counts = count_table(df_after, labels)
    before = krippendorff_alpha(before_counts, scale, labels, min_pairable=min_pairable)
    after = krippendorff_alpha(after_counts, scale, labels, min_pairable=min_pairable)
    if before.value is None or after.value is None:
        which = "before" if before.value is None else "after"
        reason = f"alpha {which} the release is n/a: {(before if which == 'before' else after).reason}"
        return ReleaseChange(before, after, None, None, reason, n_boot)
    rng_before, rng_after = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
    reps_before = bootstrap_alpha(before_counts, scale, labels, n_boot, rng_before)
    reps_after = bootstrap_alpha(after_counts, scale, labels, n_boot, rng_after)
    diff = reps_after - reps_before
    diff = diff[np.isfinite(diff)]
    ci = None
    if len(diff):
        low, high = np.percentile(diff, [2.5, 97.5])
        ci = (float(low), float(high))
    return ReleaseChange(before, after, after.value - before.value, ci, None, n_boot)


def throughput(df: pd.DataFrame, tz: str = "UTC") -> pd.DataFrame:
    """Per annotator per day (in tz): annotations and median seconds each (NaN without duration_s)."""
    day = local_days(df["created_at"], tz)
    duration = df["duration_s"] if "duration_s" in df.columns else pd.Series(np.nan, index=df.index)
    frame = pd.DataFrame(
        {"annotator": df["annotator"].to_numpy(), "day": day.to_numpy(), "d": duration.to_numpy()}
    )
    out = frame.groupby(["annotator", "day"], sort=True).agg(
        annotations=("d", "size"), median_duration_s=("d", "median")
    )
    out.index = out.index.set_levels(out.index.levels[1].date, level="day")
    return out
