"""Accuracy against gold labels with Wilson score intervals."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from reports.metrics.counts import Encoded, as_encoded, check_labels

ArrayLike = float | int | np.ndarray | pd.Series


def wilson_interval(x: ArrayLike, n: ArrayLike, z: float = 1.96) -> tuple[ArrayLike, ArrayLike]:
    """Wilson score interval for x successes in n trials (vectorised; NaN where n = 0)."""
    x_arr = np.asarray(x, dtype=float)
    n_arr = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x_arr / n_arr
        denom = 1.0 + z**2 / n_arr
        centre = (p + z**2 / (2 * n_arr)) / denom
        half = (z / denom) * np.sqrt(p * (1 - p) / n_arr + z**2 / (4 * n_arr**2))
    # Clip away rounding just outside [0, 1] at x = 0 and x = n.
    low, high = np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)
    if low.ndim == 0:
        return float(low), float(high)
    return low, high


def gold_per_unit(enc: Encoded, gold: pd.DataFrame) -> np.ndarray:
    """Per unit: the gold label's position in enc.labels, -1 without gold, -2 for a label nobody used."""
    keys = ["task", "item"] if enc.tasks is not None else ["item"]
    absent = [c for c in [*keys, "label"] if c not in gold.columns]
    if absent:
        raise ValueError(f"gold frame lacks columns {absent}")
    dupes = gold.duplicated(subset=keys)
    if dupes.any():
        raise ValueError(f"gold has {int(dupes.sum())} duplicate rows for the same {'/'.join(keys)}")
    unit = enc.unit_codes(gold)
    code = pd.Index(enc.labels).get_indexer(gold["label"].astype(str))
    # A gold label nobody used still counts: every annotation on that item is wrong (-2 never matches).
    per_unit = np.full(len(enc.units), -1, dtype=np.int64)
    per_unit[unit[unit >= 0]] = np.where(code < 0, -2, code)[unit >= 0]
    return per_unit


def gold_outcome(enc: Encoded, gold: pd.DataFrame) -> np.ndarray:
    """Per encoded row: 1 correct, 0 wrong against gold, -1 when the item has no gold label."""
    g = gold_per_unit(enc, gold)[enc.unit]
    return np.where(g == -1, -1, g == enc.label).astype(np.int8)


def _rate_frame(correct: np.ndarray, n: np.ndarray, index: pd.Index, rate: str) -> pd.DataFrame:
    """correct, n, rate and Wilson limits per row of `index`."""
    low, high = wilson_interval(correct, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(n > 0, correct / np.maximum(n, 1), np.nan)
    return pd.DataFrame(
        {
            "correct": correct.astype(np.int64),
            "n": n.astype(np.int64),
            rate: value,
            "ci_low": low,
            "ci_high": high,
        },
        index=index,
    )


def gold_accuracy(df: pd.DataFrame | Encoded, gold: pd.DataFrame) -> pd.DataFrame:
    """Per annotator with gold items: correct, n gold items, accuracy and the Wilson 95% interval."""
    enc = as_encoded(df)
    outcome = gold_outcome(enc, gold)
    m = len(enc.annotators)
    n = np.bincount(enc.annotator[outcome >= 0], minlength=m)
    correct = np.bincount(enc.annotator[outcome == 1], minlength=m)
    out = _rate_frame(correct, n, enc.annotators, "accuracy")
    return out[n > 0]


def per_class_recall(
    df: pd.DataFrame | Encoded, gold: pd.DataFrame, labels: Sequence[str], by_annotator: bool = False
) -> pd.DataFrame:
    """Per gold class (full label list, unused classes with n = 0): correct, n, recall, Wilson interval."""
    labs = check_labels(labels)
    unknown = sorted(set(gold["label"].astype(str)) - set(labs))
    if unknown:
        raise ValueError(f"gold labels not in the guideline's label list {list(labs)!r}: {unknown}")
    enc = as_encoded(df, labs)
    g = gold_per_unit(enc, gold)[enc.unit]
    on_gold = g >= 0
    cls = g[on_gold]
    k = len(labs)
    group = cls if not by_annotator else enc.annotator[on_gold] * k + cls
    size = k if not by_annotator else len(enc.annotators) * k
    n = np.bincount(group, minlength=size)
    correct = np.bincount(group, weights=cls == enc.label[on_gold], minlength=size)
    if not by_annotator:
        return _rate_frame(correct, n, pd.Index(labs, name="label"), "recall")
    index = pd.MultiIndex.from_product([enc.annotators, labs], names=["annotator", "label"])
    out = _rate_frame(correct, n, index, "recall")
    # Keep annotators with any gold item; within them every class is listed.
    has_gold = np.repeat(np.bincount(enc.annotator[on_gold], minlength=len(enc.annotators)) > 0, k)
    return out[has_gold]
