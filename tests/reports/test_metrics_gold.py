"""Gold accuracy, per-class recall, Wilson intervals and confusion pairs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from statsmodels.stats.proportion import proportion_confint

from reports.metrics import confusion_pairs, gold_accuracy, per_class_recall, wilson_interval

Z = 1.959963984540054  # statsmodels uses the exact normal quantile


@pytest.mark.parametrize("n", [1, 2, 5, 20, 29, 148, 263, 1000])
def test_wilson_matches_statsmodels(n: int) -> None:
    xs = np.unique(np.linspace(0, n, 9).round().astype(int))
    low, high = wilson_interval(xs, np.full(len(xs), n), z=Z)
    oracle_low, oracle_high = proportion_confint(xs, n, alpha=0.05, method="wilson")
    np.testing.assert_allclose(low, oracle_low, atol=1e-12)
    np.testing.assert_allclose(high, oracle_high, atol=1e-12)


@pytest.mark.parametrize(
    ("x", "n", "expected"),
    [
        # quality-reference §C.6 (statsmodels-verified; the x/n pairs are Newcombe 1998's examples).
        (81, 263, (0.2553, 0.3662)),
        (15, 148, (0.0624, 0.1605)),
        (0, 20, (0.0000, 0.1611)),
        (1, 29, (0.0061, 0.1718)),
        (45, 50, (0.7864, 0.9565)),
        (29, 30, (0.8333, 0.9941)),
    ],
)
def test_wilson_reference_table(x: int, n: int, expected: tuple[float, float]) -> None:
    low, high = wilson_interval(x, n)
    assert (round(low, 4), round(high, 4)) == expected


def test_wilson_with_no_trials_is_nan() -> None:
    low, high = wilson_interval(0, 0)
    assert np.isnan(low) and np.isnan(high)


ANNOTATIONS = pd.DataFrame(
    {
        "task": "t",
        "item": ["i0", "i1", "i2", "i3", "i0", "i1", "i3"],
        "annotator": ["a", "a", "a", "a", "b", "b", "c"],
        "label": ["pos", "pos", "neu", "pos", "pos", "neg", "neg"],
    }
)
GOLD = pd.DataFrame({"task": "t", "item": ["i0", "i1", "i2"], "label": ["pos", "neg", "neu"]})
LABELS = ["pos", "neu", "neg", "other"]


def test_gold_accuracy_by_hand() -> None:
    # a: i0 right, i1 wrong, i2 right (i3 has no gold); b: both right; c labelled no gold item.
    correct, n = np.array([2, 2]), np.array([3, 2])
    low, high = wilson_interval(correct, n)
    expected = pd.DataFrame(
        {"correct": correct, "n": n, "accuracy": correct / n, "ci_low": low, "ci_high": high},
        index=pd.Index(["a", "b"], name="annotator"),
    )
    assert_frame_equal(gold_accuracy(ANNOTATIONS, GOLD), expected)


def test_per_class_recall_lists_every_label() -> None:
    correct, n = np.array([2, 1, 1, 0]), np.array([2, 1, 2, 0])
    low, high = wilson_interval(correct, n)
    with np.errstate(invalid="ignore"):
        recall = np.where(n > 0, correct / np.maximum(n, 1), np.nan)
    expected = pd.DataFrame(
        {"correct": correct, "n": n, "recall": recall, "ci_low": low, "ci_high": high},
        index=pd.Index(LABELS, name="label"),
    )
    assert_frame_equal(per_class_recall(ANNOTATIONS, GOLD, LABELS), expected)
    by_annotator = per_class_recall(ANNOTATIONS, GOLD, LABELS, by_annotator=True)
    assert by_annotator.loc[("a", "neg"), "n"] == 1 and by_annotator.loc[("a", "neg"), "correct"] == 0
    assert by_annotator.loc[("b", "neg"), "recall"] == 1.0
    assert "c" not in by_annotator.index.get_level_values("annotator")


def test_gold_problems_are_errors() -> None:
    dup = pd.concat([GOLD, GOLD.iloc[[0]]])
    with pytest.raises(ValueError, match="1 duplicate rows"):
        gold_accuracy(ANNOTATIONS, dup)
    odd = GOLD.assign(label=["pos", "neg", "maybe"])
    with pytest.raises(ValueError, match="'maybe'"):
        per_class_recall(ANNOTATIONS, odd, LABELS)


def test_gold_label_nobody_used_counts_as_wrong() -> None:
    gold = GOLD.assign(label=["pos", "neg", "other"])
    out = gold_accuracy(ANNOTATIONS, gold)
    assert out.loc["a", "correct"] == 1 and out.loc["a", "n"] == 3


def test_confusion_pairs_by_hand() -> None:
    # Two ratings per item: (a,b) x3, (a,a) x2, (c,c), (b,c). Coincidences o_ab = 3, o_bc = 1, o_ac = 0,
    # so D = 4 disagreements; n_a = 7, n_b = 4, n_c = 3; n_a n_b = 28, n_b n_c = 12, n_a n_c = 21, sum 61;
    # expected from label frequencies = D n_c n_k / 61.
    counts = np.array([[1, 1, 0]] * 3 + [[2, 0, 0]] * 2 + [[0, 0, 2], [0, 1, 1]])
    e_ab, e_bc, e_ac = 4 * 28 / 61, 4 * 12 / 61, 4 * 21 / 61
    expected = pd.DataFrame(
        {
            "label_a": ["a", "b", "a"],
            "label_b": ["b", "c", "c"],
            "observed": [3.0, 1.0, 0.0],
            "expected": [e_ab, e_bc, e_ac],
            "ratio": [3 / e_ab, 1 / e_bc, 0.0],
            "excess": [3 - e_ab, 1 - e_bc, -e_ac],
            "ratio_low": [np.nan] * 3,
            "ratio_high": [np.nan] * 3,
        }
    )
    assert_frame_equal(confusion_pairs(counts, ["a", "b", "c"]), expected)


def test_confusion_pairs_from_a_frame() -> None:
    out = confusion_pairs(ANNOTATIONS, LABELS)
    assert len(out) == 6  # every unordered pair of the 4 labels
    top = out.iloc[0]
    assert (top.label_a, top.label_b) == ("pos", "neg")
