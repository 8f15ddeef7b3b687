"""The JSON contract's values against the oracles (krippendorff, statsmodels, scikit-learn)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import krippendorff
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss
from statsmodels.stats.proportion import proportion_confint

from reports.digest import Section, SectionResult, TaskSpec, build_digest
from tests.digest.conftest import GRADES, SPECIES


def reliability(df: pd.DataFrame, labels: tuple[str, ...]) -> np.ndarray:
    """Annotators x items matrix of label positions (NaN where missing), for krippendorff.alpha."""
    wide = df.pivot_table(index="annotator", columns="item", values="label", aggfunc="last")
    return wide.apply(lambda s: s.map({lab: i for i, lab in enumerate(labels)})).to_numpy(dtype=float)


@pytest.fixture
def digest(data, specs):  # type: ignore[no-untyped-def]
    df, gold = data
    return build_digest(df, gold, specs, None, n_boot=0).to_json()


def test_json_is_strict_and_has_the_contract_keys(digest) -> None:  # type: ignore[no-untyped-def]
    text = json.dumps(digest, allow_nan=False)
    back = json.loads(text)
    for key in ("project", "window", "counts", "tasks", "annotators", "pairs", "confusions", "drift"):
        assert key in back
    assert {"flags", "trees", "guideline"} <= set(back)
    assert set(back["window"]) == {"start", "end"}
    assert set(back["counts"]) == {"annotations", "items", "annotators", "gold_items"}
    for t in back["tasks"]:
        assert {"task", "scale", "agreement"} <= set(t)
        assert {
            "percent",
            "krippendorff_alpha",
            "fleiss_kappa",
            "gwet_ac1",
            "cohen_kappa_mean",
            "pairable",
        } <= set(t["agreement"])
    for a in back["annotators"]:
        assert {
            "annotator",
            "annotations",
            "agreement_with_consensus",
            "gold_accuracy",
            "gold_n",
            "gold_ci",
            "alerts",
        } <= set(a)


def test_counts_match_pandas(digest, data) -> None:  # type: ignore[no-untyped-def]
    df, gold = data
    assert digest["counts"]["annotations"] == len(df)
    assert digest["counts"]["items"] == df.groupby(["task", "item"]).ngroups
    assert digest["counts"]["annotators"] == df["annotator"].nunique()
    on_gold = df[df["task"] == "species"]["item"].isin(gold["item"])
    assert digest["counts"]["gold_items"] == df[df["task"] == "species"][on_gold]["item"].nunique()


@pytest.mark.parametrize(
    ("task", "labels", "level"), [("species", SPECIES, "nominal"), ("grade", GRADES, "ordinal")]
)
def test_alpha_matches_krippendorff(digest, data, task, labels, level) -> None:  # type: ignore[no-untyped-def]
    df = data[0][data[0]["task"] == task]
    expected = krippendorff.alpha(
        reliability_data=reliability(df, labels),
        level_of_measurement=level,
        value_domain=list(range(len(labels))),
    )
    got = next(t for t in digest["tasks"] if t["task"] == task)["agreement"]["krippendorff_alpha"]
    assert got == pytest.approx(expected, abs=1e-9)


def test_fleiss_matches_statsmodels_and_is_na_with_unequal_raters(digest, data) -> None:  # type: ignore[no-untyped-def]
    df = data[0][data[0]["task"] == "species"]
    rel = reliability(df, SPECIES).T  # items x raters, NaN where missing
    rows = [r[~np.isnan(r)].astype(int) for r in rel]
    table = np.array([np.bincount(r, minlength=len(SPECIES)) for r in rows])
    got = {t["task"]: t["agreement"] for t in digest["tasks"]}
    assert got["species"]["fleiss_kappa"] == pytest.approx(sm_fleiss(table), abs=1e-9)
    # Same count with aggregate_raters on the 5 ratings per item.
    agg, _ = aggregate_raters(np.array(rows), n_cat=len(SPECIES))
    assert sm_fleiss(agg) == pytest.approx(got["species"]["fleiss_kappa"], abs=1e-9)
    # The grade task has 3 ratings per item, so it is defined there too; check the value.
    gdf = data[0][data[0]["task"] == "grade"]
    grows = [r[~np.isnan(r)].astype(int) for r in reliability(gdf, GRADES).T]
    gagg, _ = aggregate_raters(np.array(grows), n_cat=len(GRADES))
    assert got["grade"]["fleiss_kappa"] == pytest.approx(sm_fleiss(gagg), abs=1e-9)


@pytest.mark.parametrize(
    ("task", "labels", "weights"), [("species", SPECIES, None), ("grade", GRADES, "quadratic")]
)
def test_pair_kappas_match_sklearn_with_the_full_label_list(digest, data, task, labels, weights) -> None:  # type: ignore[no-untyped-def]
    df = data[0][data[0]["task"] == task]
    wide = df.pivot_table(index="item", columns="annotator", values="label", aggfunc="last")
    pairs = [p for p in digest["pairs"] if p["task"] == task]
    assert pairs
    kappas = []
    for p in pairs:
        both = wide[[p["a"], p["b"]]].dropna()
        assert p["n"] == len(both)
        if p["kappa"] is None:
            assert p["reason"]
            continue
        expected = cohen_kappa_score(both[p["a"]], both[p["b"]], labels=list(labels), weights=weights)
        assert p["kappa"] == pytest.approx(expected, abs=1e-9)
        kappas.append(expected)
    got = next(t for t in digest["tasks"] if t["task"] == task)["agreement"]["cohen_kappa_mean"]
    assert got == pytest.approx(np.mean(kappas), abs=1e-9)


def test_gold_accuracy_and_wilson_match_statsmodels(digest, data) -> None:  # type: ignore[no-untyped-def]
    df, gold = data
    merged = df[df["task"] == "species"].merge(gold, on=["task", "item"], suffixes=("", "_gold"))
    for a in digest["annotators"]:
        mine = merged[merged["annotator"] == a["annotator"]]
        n, correct = len(mine), int((mine["label"] == mine["label_gold"]).sum())
        assert a["gold_n"] == n
        assert a["gold_accuracy"] == pytest.approx(correct / n)
        lo, hi = proportion_confint(correct, n, alpha=0.05, method="wilson")
        assert a["gold_ci"] == pytest.approx([lo, hi], abs=1e-9)
        assert a["annotations"] == (df["annotator"] == a["annotator"]).sum()


def test_too_few_items_and_single_class_are_null_with_reason(specs) -> None:  # type: ignore[no-untyped-def]
    t0 = pd.Timestamp("2026-10-01", tz="UTC")
    few = pd.DataFrame(
        [
            {
                "project": "p",
                "task": "species",
                "item": f"i{i}",
                "annotator": a,
                "label": "cat" if i % 2 else "dog",
                "created_at": t0,
            }
            for i in range(10)
            for a in ("x", "y")
        ]
    )
    d = build_digest(few, pd.DataFrame(columns=["task", "item", "label"]), specs, None).to_json()
    g = d["tasks"][0]["agreement"]
    for key in ("percent", "krippendorff_alpha", "fleiss_kappa", "gwet_ac1", "cohen_kappa_mean"):
        assert g[key] is None
        assert g["reasons"][key]
    assert "only 10 pairable items (minimum 20)" in g["reasons"]["krippendorff_alpha"]
    assert g["raw_agreement"] == 1.0
    assert d["headline"]["alpha"] is None and d["headline"]["alpha_reason"]
    one = pd.concat([few, few.assign(item=few["item"] + "b")], ignore_index=True).assign(label="cat")
    g1 = build_digest(one, None, specs, None).to_json()["tasks"][0]["agreement"]  # type: ignore[arg-type]
    assert g1["krippendorff_alpha"] is None
    assert "single label" in g1["reasons"]["krippendorff_alpha"]
    assert g1["percent"] == 1.0


def test_window_filters_and_sections_registry(data, specs) -> None:  # type: ignore[no-untyped-def]
    df, gold = data
    win = (datetime(2026, 10, 3, tzinfo=UTC), datetime(2026, 10, 5, tzinfo=UTC))
    extra = Section("acks", "Acknowledgements", lambda inp: SectionResult({"n": len(inp.annotations)}))
    d = build_digest(df, gold, specs, win, sections=[extra]).to_json()
    ts = pd.to_datetime(df["created_at"], utc=True)
    assert d["counts"]["annotations"] == int(((ts >= win[0]) & (ts < win[1])).sum())
    assert d["acks"] == {"n": d["counts"]["annotations"]}
    assert d["flags"] is None and d["trees"] is None
    assert "flags" in d["section_reasons"] and "trees" in d["section_reasons"]
    assert d["section_titles"]["acks"] == "Acknowledgements"


def test_headline_band_trend_and_guideline_sections(data, specs) -> None:  # type: ignore[no-untyped-def]
    df, gold = data
    first = build_digest(df, gold, specs, None)
    prev = first.to_json()
    prev["headline"]["alpha"] = first.headline.alpha - 0.1  # type: ignore[operator]
    again = build_digest(df, gold, specs, None, previous=prev).to_json()
    assert again["headline"]["trend"] == "up"
    assert again["headline"]["alpha_band"] in {"reliable", "tentative", "low"}
    anchors = {s["anchor"] for s in again["guideline"]["sections"]}
    assert anchors <= {"cats", "dogs"} and anchors


def test_unknown_task_is_an_error(data) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="no guideline labels"):
        build_digest(data[0], data[1], {"species": TaskSpec(SPECIES)}, None)
