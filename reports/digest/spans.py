"""A span task's part of the digest: span agreement instead of the item-level coefficients.

A task whose rows carry span offsets holds several rows per item and annotator, one per span: item-level
coefficients over one of them would compare arbitrary spans (and two annotators whose spans never meet
would read alpha = 1.0 "reliable"). So every item-level figure of a span task is n/a with the reason
`SPAN_REASON`, and the task's `spans` gives pairwise F1 and alpha over positions (reports.metrics.spans).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from reports.digest.agreement import AgreementPart
from reports.digest.model import AGREEMENT_KEYS, TaskAgreement
from reports.digest.slices import TaskSlice
from reports.metrics.agreement import raw_agreement
from reports.metrics.result import MIN_PAIRABLE, not_available
from reports.metrics.spans import span_agreement

SPAN_REASON = "span task: see span agreement"


def span_task_agreement(
    part: TaskSlice,
    day_index: pd.Index,
    row_days: np.ndarray,
    lengths: Mapping[str, int] | None = None,
    *,
    min_pairable: int = MIN_PAIRABLE,
) -> AgreementPart:
    """The span task's record: item-level coefficients n/a with SPAN_REASON, span figures in `spans`.

    `row_days` gives each row of the task's frame its day code (every span counts in the daily volume).
    """
    _, pairable = raw_agreement(part.counts)
    coefs = {k: not_available(SPAN_REASON, pairable, None) for k in AGREEMENT_KEYS}
    agreement = span_agreement(part.frame, lengths, min_pairable=min_pairable)
    k = len(part.spec.labels)
    task = TaskAgreement(
        task=part.task,
        scale=part.labels.scale if part.labels is not None else part.spec.scale,
        labels=part.spec.labels,
        coefficients=coefs,
        pairable=pairable,
        daily=_daily(row_days, day_index),
        matrix=_matrix(part),
        coincidence=np.zeros((k, k)).tolist(),
        alpha_distance=part.spec.scale,
        choices=part.labels.choices if part.labels is not None else part.spec.labels,
        retired_labels=[r.to_json() for r in part.labels.retired] if part.labels is not None else [],
        spans=agreement.to_json(),
    )
    # No item-level pairs or confusions: the span pairs are in `spans.pairs`.
    return AgreementPart(task, [], [])


def _daily(days: np.ndarray, day_index: pd.Index) -> list[dict[str, Any]]:
    """Annotations (rows) per day; the daily alpha is n/a for a span task."""
    return [
        {
            "day": pd.Timestamp(day).date().isoformat(),
            "annotations": int((days == code).sum()),
            "alpha": None,
            "percent": None,
            "reason": SPAN_REASON,
        }
        for code, day in enumerate(day_index)
    ]


def _matrix(part: TaskSlice) -> dict[str, Any]:
    """The annotators and their co-annotated item counts; no item-level percent for spans."""
    enc = part.enc
    m = len(enc.annotators)
    seen = np.zeros((len(enc.units), m), dtype=np.int64)
    seen[enc.unit, enc.annotator] = 1
    counts = seen.T @ seen
    return {
        "annotators": [str(a) for a in enc.annotators],
        "percent": [[None] * m for _ in range(m)],
        "counts": counts.astype(int).tolist(),
    }
