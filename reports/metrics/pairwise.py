"""Annotator-pair statistics from within-item label pairs: pairwise Cohen's kappa and the agreement matrix."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from reports.metrics.agreement import Weights, disagreement_weights, kappa_from_confusion
from reports.metrics.counts import Encoded, as_encoded, interval_values
from reports.metrics.result import MIN_PAIRABLE, SCALES, Scale, single_label_reason, too_few_reason

# Kappa weighting per scale. Ordinal: quadratic weights on label positions (Fleiss-Cohen, the usual choice
# for rating scales, and the pairwise analogue of alpha's squared distances). Interval: quadratic weights on
# the numeric label values, so unequal spacing counts; with equally spaced values this equals the positional
# quadratic kappa (kappa is unchanged by rescaling the weights).
# Multi-choice (masi): exact-set match; the digest reports these kappas as n/a (reports/digest/agreement.py).
SCALE_WEIGHTS: dict[str, Weights] = {
    "nominal": None,
    "ordinal": "quadratic",
    "interval": "quadratic",
    "masi": None,
}


@dataclass(frozen=True, eq=False)
class LabelPairs:
    """Every within-item pair of annotations, grouped by annotator pair (a < b by annotator code)."""

    a: np.ndarray  # per annotator pair: code of the first annotator
    b: np.ndarray  # per annotator pair: code of the second annotator
    pair: np.ndarray  # per label pair: index into a/b
    label_a: np.ndarray  # per label pair: label code given by a
    label_b: np.ndarray  # per label pair: label code given by b


def label_pairs(enc: Encoded) -> LabelPairs:
    """All co-labelled (item, a, b) label pairs, vectorised over items (one pass per offset in an item)."""
    n_ann = max(len(enc.annotators), 1)
    order = np.argsort(enc.unit * n_ann + enc.annotator)
    unit, ann, lab = enc.unit[order], enc.annotator[order], enc.label[order]
    left_parts: list[np.ndarray] = []
    right_parts: list[np.ndarray] = []
    # Rows are sorted by item then annotator, so row i and row i+d share an item only within one group; the
    # loop runs (max ratings per item - 1) times, each step vectorised over all items.
    for d in range(1, len(unit)):
        same = np.flatnonzero(unit[d:] == unit[:-d])
        if len(same) == 0:
            break
        left_parts.append(same)
        right_parts.append(same + d)
    left = np.concatenate(left_parts) if left_parts else np.zeros(0, dtype=np.int64)
    right = np.concatenate(right_parts) if right_parts else np.zeros(0, dtype=np.int64)
    key = ann[left] * n_ann + ann[right]
    if n_ann * n_ann <= 10_000_000:
        # Dense remap of the pair keys: O(annotators^2) memory but much faster than sorting 10^6 keys.
        present = np.bincount(key, minlength=n_ann * n_ann) > 0
        keys = np.flatnonzero(present)
        pair = (np.cumsum(present) - 1)[key]
    else:
        keys, pair = np.unique(key, return_inverse=True)
    return LabelPairs(a=keys // n_ann, b=keys % n_ann, pair=pair, label_a=lab[left], label_b=lab[right])


def pairwise_cohen(
    df: pd.DataFrame | Encoded,
    labels: Sequence[str],
    scale: Scale = "nominal",
    *,
    min_pairable: int = MIN_PAIRABLE,
    ordinal_weights: Weights = "quadratic",
) -> pd.DataFrame:
    """Per annotator pair: co-labelled n, exact-match percent, kappa, reason.

    Weights per SCALE_WEIGHTS, except that an ordinal scale takes `ordinal_weights` (linear or quadratic).
    """
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}: expected one of {SCALES}")
    enc = as_encoded(df, labels)
    pairs = label_pairs(enc)
    k = len(enc.labels)
    n_pairs = len(pairs.a)
    conf = np.bincount(
        (pairs.pair * k + pairs.label_a) * k + pairs.label_b, minlength=n_pairs * k * k
    ).reshape(n_pairs, k, k)
    values = interval_values(enc.labels) if scale == "interval" else None
    weights = ordinal_weights if scale == "ordinal" else SCALE_WEIGHTS[scale]
    w = disagreement_weights(k, weights, values)
    kappa, _, d_exp = kappa_from_confusion(conf, w)
    n = conf.sum(axis=(1, 2))
    percent = np.trace(conf, axis1=1, axis2=2) / np.maximum(n, 1)
    used = (conf.sum(axis=1) + conf.sum(axis=2)) > 0
    reasons: list[str | None] = [None] * n_pairs
    # The loop touches only pairs that are n/a, to build their message.
    for i in np.flatnonzero((n < min_pairable) | ~(d_exp > 0)):
        too_few = too_few_reason(int(n[i]), "co-labelled items", min_pairable)
        reasons[i] = too_few or single_label_reason(used[i], enc.labels)
    ok = np.array([r is None for r in reasons], dtype=bool)
    return pd.DataFrame(
        {
            "a": enc.annotators[pairs.a].to_numpy(),
            "b": enc.annotators[pairs.b].to_numpy(),
            "n": n.astype(np.int64),
            "percent": percent,
            "kappa": np.where(ok, kappa, np.nan),
            "weights": weights or "none",
            "reason": pd.Series(reasons, dtype=object),
        }
    )


def agreement_matrix(df: pd.DataFrame | Encoded) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Annotator x annotator exact-match percent and co-labelled counts (diagonal: items labelled)."""
    enc = as_encoded(df)
    pairs = label_pairs(enc)
    m = len(enc.annotators)
    n_pairs = len(pairs.a)
    n = np.bincount(pairs.pair, minlength=n_pairs)
    agree = np.bincount(pairs.pair, weights=pairs.label_a == pairs.label_b, minlength=n_pairs)
    counts = np.zeros((m, m), dtype=np.int64)
    counts[pairs.a, pairs.b] = n
    counts[pairs.b, pairs.a] = n
    counts[np.arange(m), np.arange(m)] = np.bincount(enc.annotator, minlength=m)
    percent = np.full((m, m), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        percent[pairs.a, pairs.b] = agree / n
        percent[pairs.b, pairs.a] = agree / n
    idx = enc.annotators
    cols = pd.Index(idx, name="other")
    return pd.DataFrame(percent, index=idx, columns=cols), pd.DataFrame(counts, index=idx, columns=cols)
