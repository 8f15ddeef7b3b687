"""Agreement coefficients from one units x categories count table, and Cohen's kappa for two raters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from reports.metrics.counts import check_labels, interval_values
from reports.metrics.result import (
    MIN_PAIRABLE,
    SCALES,
    Coefficient,
    Scale,
    as_float,
    not_available,
    single_label_reason,
    too_few_reason,
)
from reports.metrics.sets import masi_distances

Weights = Literal["linear", "quadratic"] | None
Z95 = 1.959963984540054


def _pairable(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows with at least two ratings (only those hold a pair) and their rating totals."""
    counts = np.asarray(counts)
    r = counts.sum(axis=1)
    keep = r >= 2
    return counts[keep], r[keep]


def raw_agreement(counts: np.ndarray) -> tuple[float | None, int]:
    """Mean over pairable items of the fraction of agreeing rater pairs (Gwet's p_a), and the item count."""
    c, r = _pairable(counts)
    if len(r) == 0:
        return None, 0
    per_item = (c * (c - 1)).sum(axis=1) / (r * (r - 1))
    return float(per_item.mean()), len(r)


def percent_agreement(counts: np.ndarray, *, min_pairable: int = MIN_PAIRABLE) -> Coefficient:
    """Multi-rater percent agreement; n/a below min_pairable items (a single label is fine here)."""
    raw, pairable = raw_agreement(counts)
    reason = too_few_reason(pairable, minimum=min_pairable)
    if reason:
        return not_available(reason, pairable, raw)
    return Coefficient(value=raw, reason=None, pairable=pairable, raw_agreement=raw)


def fleiss_kappa(
    counts: np.ndarray, labels: Sequence[str] | None = None, *, min_pairable: int = MIN_PAIRABLE
) -> Coefficient:
    """Fleiss' kappa; only defined when every rated item has the same number (>= 2) of ratings."""
    counts = np.asarray(counts)
    counts = counts[counts.sum(axis=1) > 0]
    raw, pairable = raw_agreement(counts)
    r = counts.sum(axis=1)
    if len(r) and (r.min() != r.max() or r[0] < 2):
        reason = (
            f"items have {r.min()} to {r.max()} ratings: Fleiss' kappa needs the same number (at least 2) "
            "on every item; use Krippendorff's alpha"
        )
        return not_available(reason, pairable, raw)
    reason = too_few_reason(pairable, minimum=min_pairable)
    if reason:
        return not_available(reason, pairable, raw)
    totals = counts.sum(axis=0)
    if np.count_nonzero(totals) < 2:
        return not_available(single_label_reason(totals > 0, labels), pairable, raw)
    p = totals / totals.sum()
    pe = float((p**2).sum())
    return Coefficient(value=(raw - pe) / (1 - pe), reason=None, pairable=pairable, raw_agreement=raw)


def gwet_ac1(
    counts: np.ndarray, labels: Sequence[str] | None = None, *, min_pairable: int = MIN_PAIRABLE
) -> Coefficient:
    """Gwet's AC1 for any number of raters with missing ratings; q is the full label count (Gwet 2008)."""
    counts = np.asarray(counts)
    raw, pairable = raw_agreement(counts)
    reason = too_few_reason(pairable, minimum=min_pairable)
    if reason:
        return not_available(reason, pairable, raw)
    rated = counts[counts.sum(axis=1) >= 1]
    totals = rated.sum(axis=0)
    if np.count_nonzero(totals) < 2:
        return not_available(single_label_reason(totals > 0, labels), pairable, raw)
    q = counts.shape[1]
    pi = (rated / rated.sum(axis=1, keepdims=True)).mean(axis=0)
    pe = float((pi * (1 - pi)).sum() / (q - 1))
    return Coefficient(value=(raw - pe) / (1 - pe), reason=None, pairable=pairable, raw_agreement=raw)


def coincidence(counts: np.ndarray) -> np.ndarray:
    """Krippendorff's coincidence matrix o_ck = sum_u n_uc (n_uk - [c=k]) / (m_u - 1) over pairable units."""
    c, r = _pairable(counts)
    w = c / (r - 1)[:, None]
    return w.T @ c - np.diag(w.sum(axis=0))


def squared_distance(scale: Scale, n_c: np.ndarray, values: np.ndarray | None = None) -> np.ndarray:
    """Krippendorff's delta^2 for each category pair; n_c may carry leading batch axes (bootstrap).

    For `masi`, `values` is the category x category MASI distance, used as delta itself (as NLTK does).
    """
    k = n_c.shape[-1]
    if scale == "masi":
        assert values is not None
        return values
    if scale == "nominal":
        return 1.0 - np.eye(k)
    if scale == "interval":
        assert values is not None
        return (values[:, None] - values[None, :]) ** 2
    if scale == "ordinal":
        # Ranks come from the pooled pairable values, so unused labels (n_g = 0) add no distance.
        s = np.cumsum(n_c, axis=-1)
        d = s[..., None, :] - s[..., :, None] + (n_c[..., :, None] - n_c[..., None, :]) / 2
        return d**2
    raise ValueError(f"unknown scale {scale!r}: expected one of {SCALES}")


def alpha_from_coincidence(o: np.ndarray, scale: Scale, values: np.ndarray | None = None) -> np.ndarray:
    """Alpha = 1 - D_o/D_e for one (K, K) or a batch (B, K, K) of coincidence matrices; NaN when D_e = 0."""
    n_c = o.sum(axis=-1)
    n = n_c.sum(axis=-1)
    delta = squared_distance(scale, n_c, values)
    observed = (o * delta).sum(axis=(-2, -1))
    expected = (n_c[..., :, None] * n_c[..., None, :] * delta).sum(axis=(-2, -1))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(expected > 0, 1.0 - (n - 1) * observed / expected, np.nan)


def _scale_values(scale: Scale, labels: Sequence[str] | None, k: int) -> np.ndarray | None:
    """Numeric label values for the interval scale (the distance matrix for masi), checked against the width."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}: expected one of {SCALES}")
    if labels is not None and len(labels) != k:
        raise ValueError(f"{len(labels)} labels for a count table with {k} columns")
    if scale == "masi":
        if labels is None:
            raise ValueError("the masi scale needs the label list to know each category's set")
        return masi_distances(labels)
    if scale != "interval":
        return None
    if labels is None:
        raise ValueError("the interval scale needs the label list to know each category's value")
    return interval_values(labels)


def _count_patterns(c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct count rows and how often each occurs."""
    base = int(c.max()) + 1
    if c.shape[1] * np.log2(base) < 62:
        # Rows as base-(max+1) integers: a 1-D unique is far faster than np.unique(axis=0).
        powers = base ** np.arange(c.shape[1], dtype=np.int64)
        _, first, freq = np.unique(c @ powers, return_index=True, return_counts=True)
        return c[first], freq
    return np.unique(c, axis=0, return_counts=True)


def bootstrap_alpha(
    counts: np.ndarray,
    scale: Scale = "nominal",
    labels: Sequence[str] | None = None,
    n_boot: int = 1000,
    rng: np.random.Generator | int = 0,
) -> np.ndarray:
    """Alpha on n_boot resamples of the pairable items (with replacement); NaN where undefined."""
    values = _scale_values(scale, labels, np.shape(counts)[1])
    c, r = _pairable(counts)
    rng = np.random.default_rng(rng)
    if len(r) == 0:
        return np.full(n_boot, np.nan)
    # Items with the same count vector contribute the same coincidences, and drawing N items uniformly then
    # tallying per pattern is a multinomial over pattern frequencies: the exact bootstrap in O(B x patterns).
    patterns, freq = _count_patterns(c)
    m = patterns.sum(axis=1)
    w = patterns / (m - 1)[:, None]
    k = c.shape[1]
    per_pattern = w[:, :, None] * patterns[:, None, :]
    per_pattern[:, np.arange(k), np.arange(k)] -= w
    draws = rng.multinomial(len(r), freq / freq.sum(), size=n_boot).astype(float)
    o = (draws @ per_pattern.reshape(len(patterns), k * k)).reshape(n_boot, k, k)
    return alpha_from_coincidence(o, scale, values)


def krippendorff_alpha(
    counts: np.ndarray,
    scale: Scale = "nominal",
    labels: Sequence[str] | None = None,
    *,
    n_boot: int = 0,
    seed: int = 0,
    min_pairable: int = MIN_PAIRABLE,
) -> Coefficient:
    """Krippendorff's alpha (nominal/ordinal/interval) with missing ratings; optional bootstrap 95% CI."""
    counts = np.asarray(counts)
    values = _scale_values(scale, labels, counts.shape[1])
    raw, pairable = raw_agreement(counts)
    reason = too_few_reason(pairable, minimum=min_pairable)
    if reason:
        return not_available(reason, pairable, raw)
    o = coincidence(counts)
    n_c = o.sum(axis=1)
    if np.count_nonzero(n_c) < 2:
        return not_available(single_label_reason(n_c > 0, labels), pairable, raw)
    value = as_float(alpha_from_coincidence(o, scale, values))
    if value is None:  # e.g. two interval labels with the same numeric value
        return not_available(single_label_reason(n_c > 0, labels), pairable, raw)
    ci = None
    if n_boot > 0:
        reps = bootstrap_alpha(counts, scale, labels, n_boot, seed)
        reps = reps[np.isfinite(reps)]
        if len(reps):
            lo, hi = np.percentile(reps, [2.5, 97.5])
            ci = (float(lo), float(hi))
    return Coefficient(value=value, reason=None, pairable=pairable, raw_agreement=raw, ci=ci)


def disagreement_weights(k: int, weights: Weights, values: np.ndarray | None = None) -> np.ndarray:
    """Cohen disagreement weights by category position (or numeric value when given); 0 on the diagonal."""
    pos = np.arange(k, dtype=float) if values is None else np.asarray(values, dtype=float)
    diff = np.abs(pos[:, None] - pos[None, :])
    if weights is None:
        return 1.0 - np.eye(k)
    if weights == "linear":
        return diff
    if weights == "quadratic":
        return diff**2
    raise ValueError(f"unknown weights {weights!r}: expected None, 'linear' or 'quadratic'")


def kappa_from_confusion(conf: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted kappa, its large-sample standard error and expected disagreement for (..., K, K) tables."""
    conf = np.asarray(conf, dtype=float)
    n = conf.sum(axis=(-2, -1))
    with np.errstate(divide="ignore", invalid="ignore"):
        p = conf / n[..., None, None]
        rows, cols = p.sum(axis=-1), p.sum(axis=-2)
        expected = rows[..., :, None] * cols[..., None, :]
        d_obs = (w * p).sum(axis=(-2, -1))
        d_exp = (w * expected).sum(axis=(-2, -1))
        kappa = 1.0 - d_obs / d_exp
        # Fleiss, Cohen & Everitt (1969) variance, in agreement weights (1 on the diagonal); kappa is
        # unchanged by rescaling the disagreement weights, so both forms give the same point estimate.
        agree = 1.0 - w / w.max() if w.max() > 0 else np.ones_like(w)
        pe = (agree * expected).sum(axis=(-2, -1))
        w_row = np.einsum("ij,...j->...i", agree, cols)
        w_col = np.einsum("...i,ij->...j", rows, agree)
        one_minus = (1.0 - kappa)[..., None, None]
        term = (p * (agree - (w_row[..., :, None] + w_col[..., None, :]) * one_minus) ** 2).sum(axis=(-2, -1))
        var = (term - (kappa - pe * (1.0 - kappa)) ** 2) / (n * (1.0 - pe) ** 2)
        se = np.sqrt(np.clip(var, 0.0, None))
    return kappa, se, d_exp


def _codes(values: Sequence[object], labels: tuple[str, ...], name: str) -> np.ndarray:
    """Positions of a rater's labels in the label list; unknown labels are an error (-1 for missing)."""
    s = pd.Series(values, dtype=object)
    codes = pd.Categorical(s.where(s.isna(), s.astype(str)), categories=list(labels)).codes
    bad = (codes < 0) & s.notna().to_numpy()
    if bad.any():
        unknown = sorted(set(s[bad].astype(str)))
        raise ValueError(f"rater {name} used labels not in {list(labels)!r}: {unknown}")
    return codes.astype(np.int64)


def cohen_kappa(
    a: Sequence[object],
    b: Sequence[object],
    labels: Sequence[str],
    weights: Weights = None,
    *,
    min_pairable: int = MIN_PAIRABLE,
) -> Coefficient:
    """Cohen's (weighted) kappa of two aligned label sequences over the full label list; gaps are dropped."""
    labs = check_labels(labels)
    if len(a) != len(b):
        raise ValueError(f"the raters have {len(a)} and {len(b)} labels: they must be aligned item by item")
    ia, ib = _codes(a, labs, "a"), _codes(b, labs, "b")
    both = (ia >= 0) & (ib >= 0)
    ia, ib = ia[both], ib[both]
    k = len(labs)
    n = len(ia)
    conf = np.bincount(ia * k + ib, minlength=k * k).reshape(k, k)
    raw = float(np.trace(conf) / n) if n else None
    reason = too_few_reason(n, minimum=min_pairable)
    if reason:
        return not_available(reason, n, raw)
    w = disagreement_weights(k, weights)
    kappa, se, d_exp = kappa_from_confusion(conf, w)
    if not d_exp > 0:
        used = (conf.sum(axis=0) + conf.sum(axis=1)) > 0
        return not_available(single_label_reason(used, labs), n, raw)
    ci = (float(kappa - Z95 * se), float(kappa + Z95 * se))
    return Coefficient(value=float(kappa), reason=None, pairable=n, raw_agreement=raw, ci=ci)
