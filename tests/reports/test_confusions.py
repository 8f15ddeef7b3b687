"""Confusion pairs against label frequencies (issue 13 item 7): arithmetic, properties, the interval."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from reports.metrics.agreement import coincidence
from reports.metrics.confusions import confusion_pairs

LABELS = ["a", "b", "c", "d"]


def _table(seed: int, units: int = 300) -> np.ndarray:
    """Three ratings per item; a and b are confused far more than their frequencies predict."""
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(units):
        truth = rng.choice(4, p=[0.4, 0.2, 0.2, 0.2])
        row = np.zeros(4)
        for _ in range(3):
            label = truth
            if truth in (0, 1) and rng.random() < 0.25:
                label = 1 - truth
            elif rng.random() < 0.08:
                label = rng.choice(4)
            row[label] += 1
        rows.append(row)
    return np.array(rows)


@settings(max_examples=80, deadline=None)
@given(arrays(np.int64, st.tuples(st.integers(1, 12), st.just(4)), elements=st.integers(0, 4)))
def test_property_expected_spreads_the_disagreements(counts: np.ndarray) -> None:
    out = confusion_pairs(counts, LABELS)
    if not len(out):
        return
    o = coincidence(counts)
    disagreements = o.sum() - np.trace(o)
    assert out["observed"].sum() == pytest.approx(disagreements / 2)  # one triangle of a symmetric matrix
    assert out["expected"].sum() == pytest.approx(out["observed"].sum())
    assert (out["excess"] > 1e-12).equals(out["ratio"].fillna(0) > 1 + 1e-12) or out["expected"].eq(0).all()
    assert list(out["excess"]) == sorted(out["excess"], reverse=True)


def test_three_labels_per_item_give_fractional_coincidences() -> None:
    # One item labelled a, a, b: pairings a-b weigh 1/(3-1) each, two of them: o_ab = 1.0; one item a, b, c:
    # o_ab = o_ac = o_bc = 0.5. So o_ab = 1.5, o_ac = 0.5, o_bc = 0.5; D = 2.5; n_a = 3, n_b = 2, n_c = 1;
    # products ab 6, ac 3, bc 2 (sum 11): expected ab = 2.5 * 6 / 11, ac = 2.5 * 3 / 11, bc = 2.5 * 2 / 11.
    out = confusion_pairs(np.array([[2, 1, 0], [1, 1, 1]]), ["a", "b", "c"]).set_index(["label_a", "label_b"])
    assert out.loc[("a", "b"), "observed"] == pytest.approx(1.5)
    assert out.loc[("a", "b"), "expected"] == pytest.approx(2.5 * 6 / 11)
    assert out.loc[("a", "c"), "expected"] == pytest.approx(2.5 * 3 / 11)
    assert out.loc[("b", "c"), "ratio"] == pytest.approx(0.5 / (2.5 * 2 / 11))


def test_the_interval_covers_the_ratio_and_is_reproducible() -> None:
    counts = _table(1)
    out = confusion_pairs(counts, LABELS, n_boot=400, top=3)
    again = confusion_pairs(counts, LABELS, n_boot=400, top=3)
    assert out.equals(again)
    assert (out["label_a"].iloc[0], out["label_b"].iloc[0]) == ("a", "b")
    top = out.head(3)
    assert (top["ratio_low"] <= top["ratio"]).all() and (top["ratio"] <= top["ratio_high"]).all()
    assert top["ratio_low"].iloc[0] > 1  # the planted confusion is clear of its expectation
    assert out["ratio_low"].iloc[3:].isna().all()


def test_the_interval_matches_a_plain_loop_bootstrap() -> None:
    # Oracle: resample items with a plain loop (its own random stream) and recompute the pair's ratio.
    counts = _table(2)
    ours = confusion_pairs(counts, LABELS, n_boot=2000, top=1).iloc[0]
    rng = np.random.default_rng(99)
    reps = []
    for _ in range(2000):
        sample = counts[rng.integers(0, len(counts), len(counts))]
        row = (
            confusion_pairs(sample, LABELS)
            .set_index(["label_a", "label_b"])
            .loc[(ours.label_a, ours.label_b)]
        )
        reps.append(row["ratio"])
    low, high = np.percentile(reps, [2.5, 97.5])
    assert ours.ratio_low == pytest.approx(low, abs=0.03) and ours.ratio_high == pytest.approx(high, abs=0.03)
