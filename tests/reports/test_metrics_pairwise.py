"""Annotator-pair kappa, the agreement matrix and leave-one-out consensus agreement."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import cohens_kappa as sm_cohens_kappa

from reports.metrics import (
    agreement_matrix,
    cohen_kappa,
    consensus_agreement,
    encode,
    pairwise_cohen,
    wilson_interval,
)

# Annotators x items; None = not labelled.
SMALL = [
    ["x", "x", "y", "x"],
    ["x", "y", "y", None],
    [None, "y", "y", "x"],
]


def test_agreement_matrix_by_hand(from_matrix) -> None:
    percent, counts = agreement_matrix(from_matrix(SMALL))
    names = pd.Index(["a0", "a1", "a2"], name="annotator")
    others = pd.Index(["a0", "a1", "a2"], name="other")
    expected_percent = pd.DataFrame(
        [[np.nan, 2 / 3, 2 / 3], [2 / 3, np.nan, 1.0], [2 / 3, 1.0, np.nan]], index=names, columns=others
    )
    expected_counts = pd.DataFrame([[4, 3, 3], [3, 3, 2], [3, 2, 3]], index=names, columns=others)
    assert_frame_equal(percent, expected_percent)
    assert_frame_equal(counts, expected_counts)


def test_pairwise_cohen_small_frame_reports_reasons(from_matrix) -> None:
    out = pairwise_cohen(from_matrix(SMALL), ["x", "y"], "nominal", min_pairable=3)
    expected = pd.DataFrame(
        {
            "a": ["a0", "a0", "a1"],
            "b": ["a1", "a2", "a2"],
            "n": np.array([3, 3, 2], dtype=np.int64),
            "percent": [2 / 3, 2 / 3, 1.0],
            "kappa": [
                cohen_kappa(["x", "x", "y"], ["x", "y", "y"], ["x", "y"], min_pairable=1).value,
                cohen_kappa(["x", "y", "x"], ["y", "y", "x"], ["x", "y"], min_pairable=1).value,
                np.nan,
            ],
            "weights": "none",
            "reason": pd.Series([None, None, "only 2 co-labelled items (minimum 3)"], dtype=object),
        }
    )
    assert_frame_equal(out, expected)


def test_pairwise_cohen_single_label_pair() -> None:
    frame = pd.DataFrame(
        {
            "task": "t",
            "item": [f"i{i}" for i in range(25)] * 2,
            "annotator": ["a"] * 25 + ["b"] * 25,
            "label": ["Positive"] * 50,
        }
    )
    out = pairwise_cohen(frame, ["Positive", "Negative"])
    assert np.isnan(out.loc[0, "kappa"])
    assert (
        out.loc[0, "reason"]
        == "a single label was used ('Positive'): chance-corrected agreement is undefined"
    )
    assert out.loc[0, "percent"] == 1.0


def random_frame(seed: int, annotators: int = 6, items: int = 150, labels: tuple[str, ...] = tuple("12345")):
    """Items with 2-4 random annotators each and labels near a per-item truth."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(items):
        truth = rng.integers(0, len(labels))
        for a in rng.choice(annotators, rng.integers(2, 5), replace=False):
            lab = int(np.clip(truth + rng.integers(-1, 2) * (rng.random() < 0.4), 0, len(labels) - 1))
            rows.append({"task": "t", "item": f"i{i}", "annotator": f"a{a}", "label": labels[lab]})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize(("scale", "weights"), [("nominal", None), ("ordinal", "quadratic")])
def test_pairwise_cohen_matches_sklearn_per_pair(seed: int, scale: str, weights: str | None) -> None:
    labels = list("12345")
    frame = random_frame(seed)
    out = pairwise_cohen(frame, labels, scale)
    wide = frame.pivot(index="item", columns="annotator", values="label")
    assert len(out) == 15
    for row in out.itertuples():
        both = wide[[row.a, row.b]].dropna()
        assert row.n == len(both)
        assert row.percent == pytest.approx((both[row.a] == both[row.b]).mean())
        oracle = cohen_kappa_score(both[row.a], both[row.b], labels=labels, weights=weights)
        assert row.kappa == pytest.approx(oracle, abs=1e-12)


def test_pairwise_cohen_interval_weights_follow_label_values() -> None:
    labels = ["0", "1", "2", "5"]  # unequally spaced
    frame = random_frame(4, labels=tuple(labels))
    out = pairwise_cohen(frame, labels, "interval")
    wide = frame.pivot(index="item", columns="annotator", values="label")
    row = out.iloc[0]
    both = wide[[row.a, row.b]].dropna()
    table = pd.crosstab(
        pd.Categorical(both[row.a], categories=labels),
        pd.Categorical(both[row.b], categories=labels),
        dropna=False,
    ).to_numpy()
    oracle = sm_cohens_kappa(table, weights=np.array([0.0, 1.0, 2.0, 5.0]), wt="quadratic").kappa
    assert row.kappa == pytest.approx(oracle, abs=1e-12)


def test_pairwise_accepts_a_shared_encoding() -> None:
    frame = random_frame(1)
    enc = encode(frame, list("12345"))
    assert_frame_equal(pairwise_cohen(enc, list("12345")), pairwise_cohen(frame, list("12345")))
    with pytest.raises(ValueError, match="encoded with labels"):
        pairwise_cohen(enc, list("54321"))


def test_consensus_agreement_leave_one_out_by_hand(from_matrix) -> None:
    matrix = [
        ["x", "x", "y", "x", "x"],
        ["x", "y", "y", None, None],
        ["y", "y", "y", "x", None],
    ]
    # a0: i0 others x/y tie (skipped), i1 others y,y -> disagrees, i2 agrees, i3 other x agrees, i4 no others.
    # a1: i0 tie, i1 tie, i2 agrees.  a2: i0 others x,x -> disagrees, i1 tie, i2 agrees, i3 agrees.
    # Including the annotator's own vote would instead count a1's i1 and a2's i1 as agreements.
    n = np.array([3, 1, 3])
    agreements = np.array([2, 1, 2])
    low, high = wilson_interval(agreements, n)
    expected = pd.DataFrame(
        {
            "items": [5, 3, 4],
            "n": n,
            "agreements": agreements,
            "agreement": agreements / n,
            "ci_low": low,
            "ci_high": high,
            "ties_skipped": [1, 2, 1],
        },
        index=pd.Index(["a0", "a1", "a2"], name="annotator"),
    )
    assert_frame_equal(consensus_agreement(from_matrix(matrix)), expected, check_dtype=False)
