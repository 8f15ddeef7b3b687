"""Which label pairs annotators confuse, from the coincidence matrix, against what chance would give."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from reports.metrics.agreement import coincidence
from reports.metrics.counts import Encoded, as_encoded, check_labels

COLUMNS = ["label_a", "label_b", "observed", "expected", "ratio", "excess"]


def confusion_pairs(data: np.ndarray | pd.DataFrame | Encoded, labels: Sequence[str]) -> pd.DataFrame:
    """Unordered label pairs: observed o_ck, chance n_c n_k/(n-1), ratio and excess; largest excess first."""
    labs = check_labels(labels)
    tabular = isinstance(data, pd.DataFrame | Encoded)
    counts = as_encoded(data, labs).counts() if tabular else np.asarray(data)
    if counts.shape[1] != len(labs):
        raise ValueError(f"{len(labs)} labels for a count table with {counts.shape[1]} columns")
    o = coincidence(counts)
    n_c = o.sum(axis=1)
    n = n_c.sum()
    if n < 2:
        return pd.DataFrame({c: pd.Series(dtype=float if c not in COLUMNS[:2] else object) for c in COLUMNS})
    # o_ck counts each disagreeing pair of values once per direction, so one triangle is the pair's total.
    c, k = np.triu_indices(len(labs), k=1)
    observed = o[c, k]
    expected = n_c[c] * n_c[k] / (n - 1)
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
        }
    )
    return out.sort_values(["excess", "observed"], ascending=False, kind="stable").reset_index(drop=True)
