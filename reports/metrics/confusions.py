"""Which label pairs annotators confuse: the coincidence matrix's disagreements against their label frequencies.

A pair's *observed* count is its cell of Krippendorff's coincidence matrix (o_ck, c < k): how often, within
an item, one annotator's c met another's k (fractional when an item has more than two labels: each
pairing weighs 1/(m_u - 1)). Its *expected* count spreads the task's D observed disagreements over the
label pairs by their frequencies, D * n_c n_k / sum_{c<k} n_c n_k: what the pair would get if annotators
disagreed as often as they do but without preferring any pair. Expected therefore sums to observed, a
ratio above 1 is a pair confused more than its labels' frequencies predict, and that holds whatever the
overall agreement (against Krippendorff's chance e_ck = n_c n_k / (n - 1), which counts agreements too,
every disagreement of a reliable team is "below chance", so that yardstick cannot single out a confusion).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from reports.metrics.agreement import coincidence
from reports.metrics.counts import Encoded, as_encoded, check_labels

COLUMNS = ["label_a", "label_b", "observed", "expected", "ratio", "excess", "ratio_low", "ratio_high"]
BOOT_CHUNK = 50  # bootstrap replicates per matrix product (bounds memory: chunk x units weights)


def confusion_pairs(
    data: np.ndarray | pd.DataFrame | Encoded,
    labels: Sequence[str],
    *,
    n_boot: int = 0,
    top: int | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """Unordered label pairs: observed o_ck, expected from label frequencies, ratio, excess; largest excess first.

    With `n_boot` > 0, the ratio's 95% percentile interval from resampling items (a fixed `seed`), for the
    first `top` rows (all when None); the other rows, and every row without `n_boot`, have NaN bounds.
    """
    labs = check_labels(labels)
    tabular = isinstance(data, pd.DataFrame | Encoded)
    counts = as_encoded(data, labs).counts() if tabular else np.asarray(data, dtype=float)
    if counts.shape[1] != len(labs):
        raise ValueError(f"{len(labs)} labels for a count table with {counts.shape[1]} columns")
    o = coincidence(counts)
    c, k = np.triu_indices(len(labs), k=1)
    if o.sum() < 2 or not len(c):
        return pd.DataFrame(
            {col: pd.Series(dtype=float if col not in COLUMNS[:2] else object) for col in COLUMNS}
        )
    observed = o[c, k]
    expected = _expected(o.sum(axis=1), observed.sum(), c, k)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(expected > 0, observed / expected, np.nan)
    out = pd.DataFrame(
        {
            "label_a": np.array(labs, dtype=object)[c],
            "label_b": np.array(labs, dtype=object)[k],
            "observed": observed,
            "expected": expected,
            "ratio": ratio,
            "excess": observed - expected,
            "ratio_low": np.nan,
            "ratio_high": np.nan,
        }
    )
    out = out.sort_values(["excess", "observed"], ascending=False, kind="stable").reset_index(drop=True)
    if n_boot > 0:
        rows = out.index[: len(out) if top is None else top]
        position = {label: i for i, label in enumerate(labs)}
        a = np.array([position[x] for x in out.loc[rows, "label_a"]], dtype=int)
        b = np.array([position[x] for x in out.loc[rows, "label_b"]], dtype=int)
        low, high = _ratio_interval(counts, a, b, c, k, n_boot, seed)
        out.loc[rows, "ratio_low"] = low
        out.loc[rows, "ratio_high"] = high
    return out


def _expected(n_c: np.ndarray, disagreements: float, c: np.ndarray, k: np.ndarray) -> np.ndarray:
    """D * n_c n_k / sum over pairs of n_c n_k (the last axis of n_c is the label; leading axes batch)."""
    products = n_c[..., c] * n_c[..., k]
    total = products.sum(axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, np.asarray(disagreements)[..., None] * products / total, 0.0)


def _ratio_interval(
    counts: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    c: np.ndarray,
    k: np.ndarray,
    n_boot: int,
    seed: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile 95% bounds of observed/expected for pairs (a, b), items resampled with replacement."""
    r = counts.sum(axis=1)
    pairable = counts[r >= 2]
    m = r[r >= 2]
    units = len(pairable)
    # Each item's contribution: its pairings of (a, b), of any two different labels, and its labels.
    weight = 1.0 / (m - 1)
    pair_u = pairable[:, a] * pairable[:, b] * weight[:, None]  # units x chosen pairs
    all_pairs_u = (pairable[:, c] * pairable[:, k]).sum(axis=1) * weight  # units: disagreements D_u
    index = {(int(x), int(y)): j for j, (x, y) in enumerate(zip(c, k, strict=True))}
    chosen = np.array([index[(min(int(x), int(y)), max(int(x), int(y)))] for x, y in zip(a, b, strict=True)])
    rng = np.random.default_rng(seed)
    ratios = []
    for start in range(0, n_boot, BOOT_CHUNK):
        size = min(BOOT_CHUNK, n_boot - start)
        w = rng.multinomial(units, np.full(units, 1.0 / units), size=size).astype(float)  # size x units
        observed = w @ pair_u
        n_c = w @ pairable
        expected_all = _expected(n_c, w @ all_pairs_u, c, k)  # size x all pairs, in (c, k) order
        expected = expected_all[:, chosen]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratios.append(np.where(expected > 0, observed / expected, np.nan))
    reps = np.concatenate(ratios, axis=0)
    low = np.full(len(a), np.nan)
    high = np.full(len(a), np.nan)
    for j in range(len(a)):
        finite = reps[:, j][np.isfinite(reps[:, j])]
        if len(finite):
            low[j], high[j] = np.percentile(finite, [2.5, 97.5])
    return low, high
