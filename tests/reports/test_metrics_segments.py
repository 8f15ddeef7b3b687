"""Figures by cohort and guideline version, the alpha change across a release, throughput."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from reports.metrics import (
    count_table,
    gold_accuracy,
    krippendorff_alpha,
    percent_agreement,
    release_change,
    segment_summary,
    throughput,
)

LABELS = list("12345")
T0 = pd.Timestamp("2025-03-01", tz="UTC")


def synthetic(seed: int, items: int = 200, noise: float = 0.4) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Items rated by 2-4 of 6 annotators (cohorts A, B, none) around a truth, and gold for every 5th item."""
    rng = np.random.default_rng(seed)
    rows = []
    truth = rng.integers(0, 5, items)
    for i in range(items):
        for a in rng.choice(6, rng.integers(2, 5), replace=False):
            lab = int(np.clip(truth[i] + rng.integers(-1, 2) * (rng.random() < noise), 0, 4))
            rows.append(
                {
                    "project": "p",
                    "task": "t",
                    "item": f"i{i}",
                    "annotator": f"a{a}",
                    "label": LABELS[lab],
                    "created_at": T0 + pd.Timedelta(hours=i),
                    "cohort": ["A", "A", "A", "B", "B", None][a],
                    "guideline_version": "1.0" if i < items // 2 else "1.1",
                }
            )
    gold_items = [f"i{i}" for i in range(0, items, 5)]
    gold = pd.DataFrame({"task": "t", "item": gold_items, "label": [LABELS[t] for t in truth[::5]]})
    return pd.DataFrame(rows), gold


def test_segment_summary_equals_metrics_on_each_subset() -> None:
    df, gold = synthetic(0)
    out = segment_summary(df, LABELS, "ordinal", gold, by="cohort")
    assert list(out.index) == ["(unset)", "A", "B"]
    parts = {"A": df[df.cohort == "A"], "B": df[df.cohort == "B"], "(unset)": df[df.cohort.isna()]}
    for value, part in parts.items():
        _, counts = count_table(part, LABELS)
        alpha = krippendorff_alpha(counts, "ordinal", LABELS)
        row = out.loc[value]
        assert row["annotations"] == len(part)
        assert row["items"] == part["item"].nunique()
        assert row["pairable"] == alpha.pairable
        # In the frame an n/a figure is NaN, with its reason beside it.
        assert row["alpha"] == pytest.approx(alpha.value if alpha.value is not None else np.nan, nan_ok=True)
        assert row["alpha_reason"] == alpha.reason
        pct = percent_agreement(counts).value
        assert row["percent"] == pytest.approx(pct if pct is not None else np.nan, nan_ok=True)
        acc = gold_accuracy(part, gold)
        assert row["gold_n"] == acc["n"].sum()
        assert row["gold_accuracy"] == pytest.approx(acc["correct"].sum() / acc["n"].sum())
    # One annotator alone never co-labels an item with itself: no pairable items, so alpha is n/a.
    assert out.loc["(unset)", "alpha_reason"] == "only 0 pairable items (minimum 20)"


def test_segment_summary_by_guideline_version() -> None:
    df, gold = synthetic(1)
    out = segment_summary(df, LABELS, "nominal", gold, by="guideline_version")
    assert list(out.index) == ["1.0", "1.1"]
    first = df[df.guideline_version == "1.0"]
    assert out.loc["1.0", "alpha"] == pytest.approx(krippendorff_alpha(count_table(first, LABELS)[1]).value)


def test_release_change_is_seeded_and_brackets_the_change() -> None:
    before, _ = synthetic(2, noise=0.6)
    after, _ = synthetic(3, noise=0.2)
    first = release_change(before, after, LABELS, "ordinal", n_boot=500, seed=5)
    again = release_change(before, after, LABELS, "ordinal", n_boot=500, seed=5)
    assert first == again
    assert first.change == pytest.approx(first.after.value - first.before.value)
    assert first.change > 0  # less noise after the release
    assert first.ci[0] < first.change < first.ci[1]
    assert first.to_json()["before"]["value"] == first.before.value


def test_release_change_not_available_when_a_side_is() -> None:
    before, _ = synthetic(2)
    after, _ = synthetic(3, items=10)
    result = release_change(before, after, LABELS)
    assert result.change is None and result.ci is None
    assert result.reason.startswith("alpha after the release is n/a: only")


def test_throughput_per_annotator_day_in_local_time() -> None:
    df = pd.DataFrame(
        {
            "item": ["i1", "i2", "i3", "i1"],
            "annotator": ["a", "a", "a", "b"],
            "label": ["x"] * 4,
            "created_at": pd.to_datetime(
                ["2025-03-01 10:00", "2025-03-01 23:30", "2025-03-02 09:00", "2025-03-01 12:00"], utc=True
            ),
            "duration_s": [10.0, 30.0, 20.0, 5.0],
        }
    )
    index = pd.MultiIndex.from_tuples(
        [
            ("a", pd.Timestamp("2025-03-01").date()),
            ("a", pd.Timestamp("2025-03-02").date()),
            ("b", pd.Timestamp("2025-03-01").date()),
        ],
        names=["annotator", "day"],
    )
    # 23:30 UTC is 00:30 the next day in Berlin.
    expected = pd.DataFrame({"annotations": [1, 2, 1], "median_duration_s": [10.0, 25.0, 5.0]}, index=index)
    assert_frame_equal(throughput(df, tz="Europe/Berlin"), expected)
    no_duration = throughput(df.drop(columns="duration_s"))
    assert no_duration["median_duration_s"].isna().all()
    assert no_duration["annotations"].tolist() == [2, 1, 1]
