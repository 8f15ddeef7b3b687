"""Weak annotators (issue 13 item 9): gold or consensus agreement significantly below the rest of the team."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reports.digest import TaskSpec, build_digest
from reports.metrics.weak import WEAK_ALPHA, below_team, fisher_below, holm

DAY = pd.Timestamp(date(2026, 11, 18), tz="UTC")


def test_fisher_and_holm_by_hand() -> None:
    # 5 of 10 against 8 of 10: P(X <= 5) for X ~ Hypergeom(20 items, 13 correct, 10 drawn)
    # = sum_{x=3..5} C(13,x) C(7,10-x) / C(20,10) = (286 + 5005 + 27027) / 184756 = 0.17492.
    assert fisher_below(np.array([5]), np.array([10]), np.array([8]), np.array([10]))[0] == pytest.approx(
        (286 + 5005 + 27027) / 184756
    )
    # Holm: sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1, then running maximum.
    assert holm(np.array([0.01, 0.04, 0.03, 0.005])).tolist() == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert np.isnan(holm(np.array([np.nan, 0.01]))[0])


def _issue_frame() -> tuple[pd.DataFrame, pd.DataFrame]:
    """ann-w: 70% gold, 64% with the others' majority; five teammates at 90% gold and 82% consensus."""
    rows, gold = [], []
    names = ["ann-w", "t1", "t2", "t3", "t4", "t5"]
    for a in names:  # 100 own gold items each, all truth "A"
        right = 70 if a == "ann-w" else 90
        for i in range(100):
            item = f"g-{a}-{i}"
            rows.append((item, a, "A" if i < right else "B"))
            gold.append(item)
    # 100 shared items labelled by all six, truth "A". Each teammate is wrong on 18 items of its own, ann-w
    # on 36; at most two annotators are wrong per item, so the others' majority is always "A".
    wrong = {a: set(range(18 * k, 18 * k + 18)) for k, a in enumerate(names[1:])}
    wrong["ann-w"] = set(range(90, 100)) | set(range(0, 26))
    for i in range(100):
        for a in names:
            rows.append((f"s-{i}", a, "C" if i in wrong[a] else "A"))
    df = pd.DataFrame(rows, columns=["item", "annotator", "label"]).assign(
        project="p", task="t", created_at=DAY + pd.Timedelta(hours=9), cohort=None, guideline_version=None
    )
    return df, pd.DataFrame({"task": "t", "item": gold, "label": "A"})


def test_the_issues_weak_annotator_is_named() -> None:
    df, gold = _issue_frame()
    window = (DAY.to_pydatetime(), (DAY + pd.Timedelta(days=1)).to_pydatetime())
    d = build_digest(df, gold, {"t": TaskSpec(("A", "B", "C"))}, window, n_boot=0).to_json()
    row = {r["annotator"]: r for r in d["annotators"]}
    assert row["ann-w"]["gold_accuracy"] == pytest.approx(0.70)
    assert row["ann-w"]["alerts"], "the weak annotator's alerts cell is empty"
    texts = row["ann-w"]["alerts"]
    assert any(t.startswith("ann-w: gold 70% (n=100) vs team 90%: below the team, p=") for t in texts)
    assert any(t.startswith("ann-w: agreement with the others' majority ") for t in texts)
    assert all(not row[t]["alerts"] for t in ("t1", "t2", "t3", "t4", "t5"))
    assert row["ann-w"]["agreement_with_consensus"] == pytest.approx(0.64)
    assert row["t1"]["agreement_with_consensus"] == pytest.approx(0.82)
    weak = [a for a in d["drift"] if a["rule"] == "below the team"]
    assert {a["source"] for a in weak} == {"gold", "consensus"}
    g = next(a for a in weak if a["source"] == "gold")
    # Same shape as every alert: error rates in value/limit, the window's (last) day.
    assert g["value"] == pytest.approx(0.30) and g["limit"] == pytest.approx(0.10) and g["n"] == 100
    assert g["day"] == "2026-11-18" and g["annotator"] == "ann-w" and g["task"] == "t"
    assert d["headline"]["alerts"] and d["headline"]["alerts"][0].startswith("ann-w: ")


def test_minimum_counts_and_team_size() -> None:
    # 5 of 10 is not tested (n < 20); with a single other annotator there is no team to compare with.
    res = below_team(np.array([5, 90, 90]), np.array([10, 100, 100]), np.zeros(3), np.zeros(3))
    assert np.isnan(res["p"][0]) and not res["flagged"].any()
    res = below_team(np.array([10, 95]), np.array([100, 100]), np.zeros(2), np.zeros(2))
    assert np.isnan(res["p"]).all() and not res["flagged"].any()


def test_steady_teams_rarely_raise_it() -> None:
    # Bounded simulation: 3000 steady teams of 3-15 annotators, 20-200 items each, at a shared rate in
    # 0.6-0.97, gold and a second source in one Holm family. Family-wise error per team <= WEAK_ALPHA
    # (0.005, i.e. 15 expected at most); Fisher's exact test and Holm are conservative: measured 2/3000.
    rng = np.random.default_rng(13)
    flagged = 0
    for _ in range(3000):
        m = int(rng.integers(3, 16))
        n = rng.integers(20, 201, 2 * m)
        ok = rng.binomial(n, rng.uniform(0.6, 0.97))
        group = np.repeat([0, 1], m)
        flagged += bool(below_team(ok, n, group, np.zeros(2 * m)).get("flagged").any())
    assert flagged <= 3000 * WEAK_ALPHA


@settings(max_examples=200, deadline=None)
@given(
    m=st.integers(3, 12),
    n=st.integers(20, 120),
    rate=st.floats(0.5, 0.99),
    seed=st.integers(0, 2**32 - 1),
)
def test_an_equal_team_with_identical_results_never_raises_it(m: int, n: int, rate: float, seed: int) -> None:
    # Everyone with the same count: nobody is below the rest, whatever the size and rate.
    ok = np.full(m, round(rate * n))
    res = below_team(ok, np.full(m, n), np.zeros(m), np.zeros(m))
    assert not res["flagged"].any()
    # One annotator a little below (one item) is never significant at the family-wise 0.5%.
    ok[np.random.default_rng(seed).integers(m)] -= 1 if ok.min() > 0 else 0
    assert not below_team(ok, np.full(m, n), np.zeros(m), np.zeros(m))["flagged"].any()
