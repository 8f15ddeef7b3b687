"""The window-wide parts of the digest: headline, throughput, and the guideline sections behind confusions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from reports.digest.alerts import top_alerts
from reports.digest.model import Alert, Confusion, Headline, TaskSpec, band
from reports.metrics import Coefficient, wilson_interval
from reports.metrics.agreement import Z95
from reports.metrics.result import as_float

TREND_EPS = 0.02  # alpha changes smaller than this are shown as flat


def weighted_alpha(alphas: list[tuple[Coefficient, int]]) -> tuple[float | None, str | None]:
    """The pairable-weighted mean of the tasks' alphas, or None with the reasons."""
    ok = [(c.value, p) for c, p in alphas if c.value is not None]
    if ok:
        return float(sum(v * p for v, p in ok) / sum(p for _, p in ok)), None
    return None, "; ".join(c.reason or "" for c, _ in alphas) or "no annotations in the window"


def headline(
    alphas: list[tuple[Coefficient, int]],
    gold: tuple[int, int],
    n: int,
    alerts: list[Alert],
    previous: float | None,
    names: Sequence[str] = (),
) -> Headline:
    """Alpha is the pairable-weighted mean of the tasks' alphas (the one task's alpha when single).

    `names` are the tasks of `alphas` in order: those whose alpha is n/a are named in `alpha_left_out`.
    """
    alpha, reason = weighted_alpha(alphas)
    left_out = [
        {"task": name, "reason": c.reason or ""}
        for name, (c, _) in zip(names, alphas, strict=True)
        if c.value is None
    ]
    trend = None
    if alpha is not None and previous is not None:
        d = alpha - previous
        trend = "up" if d > TREND_EPS else "down" if d < -TREND_EPS else "flat"
    gold_n, gold_ok = gold
    lo, hi = wilson_interval(gold_ok, gold_n, z=Z95)
    return Headline(
        alpha=alpha,
        alpha_reason=reason,
        alpha_band=band(alpha),
        alpha_previous=previous,
        trend=trend,
        gold_accuracy=gold_ok / gold_n if gold_n else None,
        gold_ci=(float(lo), float(hi)) if gold_n else None,
        gold_n=gold_n,
        annotations=n,
        alerts=top_alerts(alerts),
        alpha_left_out=left_out,
    )


def throughput(df: pd.DataFrame, days: pd.Series) -> dict[str, Any]:
    """Annotations per local day, and per annotator with their median duration."""
    per_day = days.value_counts().sort_index()
    dur = df["duration_s"] if "duration_s" in df.columns else pd.Series(np.nan, index=df.index)
    has = bool(dur.notna().any())
    per_ann = (
        df.assign(d=dur)
        .groupby("annotator", observed=True)
        .agg(annotations=("d", "size"), med=("d", "median"))
    )
    n_days = max(len(per_day), 1)
    return {
        "per_day": [{"day": d.date().isoformat(), "annotations": int(v)} for d, v in per_day.items()],
        "median_duration_s": as_float(dur.median()) if has else None,
        "reason": None if has else "no durations recorded (duration_s is empty)",
        "annotators": [
            {
                "annotator": str(a),
                "annotations": int(r.annotations),
                "per_day": float(r.annotations / n_days),
                "median_duration_s": as_float(r.med),
            }
            for a, r in per_ann.iterrows()
        ],
    }


def guideline(tasks: Mapping[str, TaskSpec], confusions: list[Confusion], df: pd.DataFrame) -> dict[str, Any]:
    """Guideline per task and the sections behind the top confusions (when the spec maps labels)."""
    involved: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for c in sorted(confusions, key=lambda c: -c.excess):
        spec = tasks[c.task]
        for label in (c.label_a, c.label_b):
            ref = spec.label_sections.get(label)
            if ref is None or spec.guideline is None or (c.task, ref[0]) in seen:
                continue
            seen.add((c.task, ref[0]))
            involved.append(
                {
                    "task": c.task,
                    "slug": spec.guideline,
                    "version": spec.version,
                    "anchor": ref[0],
                    "title": ref[1],
                    "why": f"{c.label_a} / {c.label_b} confused",
                }
            )
    present = sorted(str(t) for t in df["task"].unique()) if len(df) else []
    return {
        "tasks": {t: {"slug": tasks[t].guideline, "version": tasks[t].version} for t in present},
        "versions_seen": sorted(str(v) for v in df["guideline_version"].dropna().unique())
        if "guideline_version" in df.columns
        else [],
        "sections": involved,
    }
