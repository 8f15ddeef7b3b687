"""The count table: full label list, unknown labels, resubmissions and task scoping."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reports.metrics import (
    agreement_matrix,
    consensus_agreement,
    count_table,
    drift_alerts,
    drift_chart,
    encode,
    krippendorff_alpha,
)

T0 = pd.Timestamp("2025-03-01", tz="UTC")


def frame(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    """(task, item, annotator, label) tuples to an annotations frame, one minute apart."""
    return pd.DataFrame(
        {
            "task": [r[0] for r in rows],
            "item": [r[1] for r in rows],
            "annotator": [r[2] for r in rows],
            "label": [r[3] for r in rows],
            "created_at": [T0 + pd.Timedelta(minutes=i) for i in range(len(rows))],
        }
    )


def test_count_table_uses_the_full_label_list() -> None:
    df = frame([("t", "i1", "a", "pos"), ("t", "i1", "b", "neg"), ("t", "i2", "a", "pos")])
    units, counts = count_table(df, ["pos", "neutral", "neg"])
    assert list(units) == [("t", "i1"), ("t", "i2")]
    np.testing.assert_array_equal(counts, [[1, 0, 1], [1, 0, 0]])


def test_unknown_label_is_a_clear_error() -> None:
    df = frame([("t", "i1", "a", "pos"), ("t", "i1", "b", "Pos")])
    with pytest.raises(ValueError, match=r"not in the guideline's label list \['pos', 'neg'\]: 'Pos'"):
        count_table(df, ["pos", "neg"])


def test_missing_label_and_repeated_label_list_are_errors() -> None:
    df = frame([("t", "i1", "a", "pos")])
    df.loc[0, "label"] = None
    with pytest.raises(ValueError, match="1 annotations have no label"):
        count_table(df, ["pos", "neg"])
    with pytest.raises(ValueError, match="repeats"):
        count_table(frame([("t", "i1", "a", "pos")]), ["pos", "neg", "pos"])


def test_resubmission_keeps_the_latest_label() -> None:
    # b labelled i1 twice; the later "pos" replaces "neg" and must not count as a second rating.
    df = frame([("t", "i1", "a", "pos"), ("t", "i1", "b", "neg"), ("t", "i1", "b", "pos")])
    _, counts = count_table(df, ["pos", "neg"])
    np.testing.assert_array_equal(counts, [[2, 0]])
    shuffled = df.iloc[[2, 0, 1]]
    np.testing.assert_array_equal(count_table(shuffled, ["pos", "neg"])[1], [[2, 0]])


def test_same_item_id_in_two_tasks_is_two_units() -> None:
    df = frame([("t1", "i1", "a", "pos"), ("t2", "i1", "b", "neg")])
    units, counts = count_table(df, ["pos", "neg"])
    assert list(units) == [("t1", "i1"), ("t2", "i1")]
    np.testing.assert_array_equal(counts, [[1, 0], [0, 1]])


def test_unit_lookup_for_other_frames() -> None:
    enc = encode(frame([("t1", "i1", "a", "pos"), ("t2", "i1", "b", "neg")]))
    other = pd.DataFrame({"task": ["t2", "t1", "t3"], "item": ["i1", "i1", "i1"]})
    np.testing.assert_array_equal(enc.unit_codes(other), [1, 0, -1])


def test_empty_input_gives_empty_results_not_errors() -> None:
    empty = frame([])
    units, counts = count_table(empty, ["pos", "neg"])
    assert len(units) == 0 and counts.shape == (0, 2)
    assert krippendorff_alpha(counts).reason == "only 0 pairable items (minimum 20)"
    assert consensus_agreement(empty).empty
    assert agreement_matrix(empty)[0].empty
    assert drift_alerts(drift_chart(empty)) == []
