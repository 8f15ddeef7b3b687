"""Annotators significantly below their team: a one-sided Fisher exact test each, Holm-corrected per team."""

from __future__ import annotations

import numpy as np

# Family-wise error per team and digest: a steady team's daily digest raises this alert in at most 0.5% of
# days (Fisher's exact test and Holm are both conservative, so in practice far fewer: bench/alerts.py).
WEAK_ALPHA = 0.005
MIN_N = 20  # items an annotator needs for the test: fewer gives no power and a noisy sentence
MIN_OTHERS = 2  # "the team" is at least two other annotators with data


def _log_factorials(n_max: int) -> np.ndarray:
    """log(k!) for k = 0..n_max."""
    return np.concatenate([[0.0], np.cumsum(np.log(np.arange(1, n_max + 1)))])


def fisher_below(ok: np.ndarray, n: np.ndarray, rest_ok: np.ndarray, rest_n: np.ndarray) -> np.ndarray:
    """One-sided Fisher exact p: P(X <= ok) for the annotator's successes given the 2x2 table's margins.

    Under H0 (the annotator's rate equals the rest's) X is hypergeometric: N = n + rest_n items, K = ok + rest_ok
    successes, n of them the annotator's. Vectorised over rows; NaN where n or rest_n is 0.
    """
    ok, n = np.asarray(ok, dtype=np.int64), np.asarray(n, dtype=np.int64)
    rest_ok, rest_n = np.asarray(rest_ok, dtype=np.int64), np.asarray(rest_n, dtype=np.int64)
    big_n, big_k = n + rest_n, ok + rest_ok
    out = np.full(ok.shape, np.nan)
    if ok.size == 0:
        return out
    # Sized for every argument lchoose can see (cells outside a row's support are masked below, but
    # are still indexed: a row with fewer items than the widest row must not index past the table).
    top = int(max(big_n.max(), big_k.max(), n.max()))
    lf = _log_factorials(top)
    x = np.arange(int(n.max()) + 1)[None, :]
    bn, bk, nn = big_n[:, None], big_k[:, None], n[:, None]
    valid = (x >= np.maximum(0, nn - (bn - bk))) & (x <= np.minimum(nn, bk)) & (x <= ok[:, None])

    def lchoose(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return lf[np.clip(a, 0, top)] - lf[np.clip(b, 0, top)] - lf[np.clip(a - b, 0, top)]

    with np.errstate(invalid="ignore"):
        logp = lchoose(bk, x) + lchoose(bn - bk, nn - x) - lchoose(bn, nn)
    p = np.where(valid, np.exp(logp), 0.0).sum(axis=1)
    defined = (n > 0) & (rest_n > 0)
    out[defined] = np.minimum(p[defined], 1.0)
    return out


def holm(p: np.ndarray, family: np.ndarray | None = None) -> np.ndarray:
    """Holm's step-down adjusted p-values within each family (NaN p-values are not tests)."""
    p = np.asarray(p, dtype=float)
    fam = np.zeros(len(p), dtype=np.int64) if family is None else np.asarray(family)
    out = np.full(len(p), np.nan)
    for f in np.unique(fam):
        idx = np.flatnonzero((fam == f) & ~np.isnan(p))
        if not len(idx):
            continue
        order = idx[np.argsort(p[idx], kind="stable")]
        m = len(order)
        adj = np.maximum.accumulate(p[order] * (m - np.arange(m)))
        out[order] = np.minimum(adj, 1.0)
    return out


def below_team(
    ok: np.ndarray,
    n: np.ndarray,
    group: np.ndarray,
    family: np.ndarray,
    *,
    alpha: float = WEAK_ALPHA,
    min_n: int = MIN_N,
    min_others: int = MIN_OTHERS,
) -> dict[str, np.ndarray]:
    """Per row (an annotator's successes ok of n in one group, e.g. a task's gold): is it below the rest?

    The rest is the group's other rows summed (rows of a group are one team's annotators on one source);
    rows with n < min_n, or fewer than min_others other rows with n > 0, are not tested. Holm over each
    `family` (a team: its gold and consensus rows together). Returns rest_ok, rest_n, p, p_adj, flagged.
    """
    ok, n = np.asarray(ok, dtype=np.int64), np.asarray(n, dtype=np.int64)
    _, g = np.unique(np.asarray(group), return_inverse=True)
    tot_ok, tot_n = np.bincount(g, weights=ok), np.bincount(g, weights=n)
    with_data = np.bincount(g, weights=n > 0)
    rest_ok, rest_n = (tot_ok[g] - ok).astype(np.int64), (tot_n[g] - n).astype(np.int64)
    others = with_data[g] - (n > 0)
    tested = (n >= min_n) & (others >= min_others) & (rest_n > 0)
    p = np.where(tested, fisher_below(ok, n, rest_ok, rest_n), np.nan)
    p_adj = holm(p, family)
    below = ok * rest_n < rest_ok * n  # point estimate below the rest's, as the sentence says
    flagged = tested & below & (np.nan_to_num(p_adj, nan=1.0) <= alpha)
    return {"rest_ok": rest_ok, "rest_n": rest_n, "p": p, "p_adj": p_adj, "flagged": flagged}
