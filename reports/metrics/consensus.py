"""Agreement of each annotator with the majority of the other annotators (leave-one-out)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from reports.metrics.counts import Encoded, as_encoded
from reports.metrics.gold import wilson_interval

AGREES, DISAGREES, NO_OTHERS, TIE = 1, 0, -1, -2


def loo_outcome(enc: Encoded, counts: np.ndarray | None = None) -> np.ndarray:
    """Per encoded row: AGREES/DISAGREES with the others' majority, NO_OTHERS, or TIE among the others."""
    if len(enc.unit) == 0:
        return np.zeros(0, dtype=np.int8)
    if counts is None:
        counts = enc.counts()
    rows = np.arange(len(enc.unit))
    # Removing the annotator's own vote is the point: with 2-3 votes per item including it inflates agreement.
    others = counts[enc.unit].astype(np.int32)
    others[rows, enc.label] -= 1
    top = others.max(axis=1)
    n_top = (others == top[:, None]).sum(axis=1)
    out = np.where(others[rows, enc.label] == top, AGREES, DISAGREES).astype(np.int8)
    out[n_top > 1] = TIE
    out[top == 0] = NO_OTHERS
    return out


def consensus_agreement(df: pd.DataFrame | Encoded) -> pd.DataFrame:
    """Per annotator: items labelled, n compared, agreements, rate, Wilson interval, ties skipped."""
    enc = as_encoded(df)
    outcome = loo_outcome(enc)
    m = len(enc.annotators)
    compared = outcome >= 0
    n = np.bincount(enc.annotator[compared], minlength=m)
    agreements = np.bincount(enc.annotator[outcome == AGREES], minlength=m)
    low, high = wilson_interval(agreements, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(n > 0, agreements / np.maximum(n, 1), np.nan)
    return pd.DataFrame(
        {
            "items": np.bincount(enc.annotator, minlength=m),
            "n": n,
            "agreements": agreements,
            "agreement": rate,
            "ci_low": low,
            "ci_high": high,
            "ties_skipped": np.bincount(enc.annotator[outcome == TIE], minlength=m),
        },
        index=enc.annotators,
    )
