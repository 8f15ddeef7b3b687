"""Decision-tree usage figures (reports/trees.py) on tiny hand-computed frames, and against an independent
plain-Python reading of the same rules over generated steps."""

from __future__ import annotations

import json
import statistics
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reports.trees import (
    COLUMNS,
    IDLE,
    NodeCount,
    OutcomeCount,
    TreeVersionStats,
    stats_to_json,
    tree_stats,
    walks_table,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TREE = "product-sentiment/sarcasm"

Row = tuple[str, str, str, int, str, int | None, str, float, str | None]


def frame(rows: list[Row]) -> pd.DataFrame:
    """Rows of (walk, tree, version, step, node, option, user, minutes after T0, outcome)."""
    df = pd.DataFrame(
        [(w, t, v, s, n, o, u, T0 + timedelta(minutes=m), out) for w, t, v, s, n, o, u, m, out in rows],
        columns=list(COLUMNS),
    )
    df["option"] = df["option"].astype("Int64")
    df["step"] = df["step"].astype("int64")
    df["at"] = pd.to_datetime(df["at"], utc=True)
    return df


def walk(
    wid: str, *steps: tuple[str, float, str | None], tree: str = TREE, version: str = "1.0.0"
) -> list[Row]:
    """A straight walk: (node, minute, outcome) per step, step numbers 0, 1, 2..."""
    return [
        (wid, tree, version, i, node, None if i == 0 else 0, "U1", minute, out)
        for i, (node, minute, out) in enumerate(steps)
    ]


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_one_tree_version_by_hand() -> None:
    rows = [
        *walk("w1", ("start", 0, None), ("q2", 1, None), ("leaf-s", 2, "sarcastic")),  # 120 s
        *walk("w2", ("start", 0, None), ("q2", 5, None)),  # idle 55 min: abandoned at q2
        *walk("w3", ("start", 40, None), ("q3", 50, None)),  # idle 10 min: in progress
        *walk("w4", ("start", 10, None), ("leaf-l", 14, "literal")),  # 240 s
    ]
    [s] = tree_stats(frame(rows), at(60))
    assert s == TreeVersionStats(
        tree=TREE,
        version="1.0.0",
        walks=4,
        completed=2,
        abandoned=1,
        in_progress=1,
        completion_rate=2 / 3,
        outcomes=(OutcomeCount("literal", 1, 0.5), OutcomeCount("sarcastic", 1, 0.5)),
        abandoned_at=(NodeCount("q2", 1),),
        median_seconds_to_outcome=180.0,
        reasons={},
    )


def test_exactly_idle_is_abandoned_a_second_less_is_in_progress() -> None:
    rows = [*walk("old", ("start", 0, None)), *walk("new", ("start", 0, None), ("q", 1 / 60, None))]
    # at as_of: "old" has been idle exactly 30 minutes, "new" (a step one second later) 29 min 59 s
    as_of = at(30)
    assert as_of - at(0) == IDLE
    states = walks_table(frame(rows), as_of).set_index("walk_id")["state"].to_dict()
    assert states == {"old": "abandoned", "new": "in_progress"}
    [s] = tree_stats(frame(rows), as_of)
    assert (s.abandoned, s.in_progress, s.completed) == (1, 1, 0)
    assert s.completion_rate == 0.0 and s.abandoned_at == (NodeCount("start", 1),)
    assert s.median_seconds_to_outcome is None
    assert s.reasons == {"median_seconds_to_outcome": "no completed walks"}


def test_one_second_short_of_idle_is_in_progress() -> None:
    rows = walk("w", ("start", 0, None))
    [s] = tree_stats(frame(rows), at(30) - timedelta(seconds=1))
    assert (s.in_progress, s.abandoned) == (1, 0)
    assert s.completion_rate is None
    assert s.reasons["completion_rate"] == "all 1 walks are still in progress"


def test_empty_frame() -> None:
    empty = frame([])
    assert tree_stats(empty, at(0)) == []
    assert walks_table(empty, at(0)).empty
    [s] = tree_stats(empty, at(0), expected=[(TREE, "1.1.0")])
    assert (s.tree, s.version, s.walks, s.completed, s.abandoned, s.in_progress) == (
        TREE,
        "1.1.0",
        0,
        0,
        0,
        0,
    )
    assert s.completion_rate is None and s.median_seconds_to_outcome is None
    assert s.outcomes == () and s.abandoned_at == ()
    assert s.reasons == {"completion_rate": "no walks", "median_seconds_to_outcome": "no completed walks"}


def test_changed_mind_after_back_counts_once_with_the_later_outcome() -> None:
    rows = [
        ("w", TREE, "1.0.0", 0, "start", None, "U1", 0, None),
        ("w", TREE, "1.0.0", 1, "q2", 1, "U1", 1, None),
        ("w", TREE, "1.0.0", 2, "leaf-a", 0, "U1", 2, "positive"),
        # Back (nothing recorded), then the other option: the same depth again, later
        ("w", TREE, "1.0.0", 2, "leaf-b", 1, "U1", 3, "negative"),
    ]
    [s] = tree_stats(frame(rows), at(100))
    assert (s.walks, s.completed, s.abandoned) == (1, 1, 0)
    assert s.outcomes == (OutcomeCount("negative", 1, 1.0),)
    assert s.median_seconds_to_outcome == 180.0


def test_completed_then_back_and_left_still_counts_completed() -> None:
    rows = [
        *walk("w", ("start", 0, None), ("leaf", 1, "positive")),
        ("w", TREE, "1.0.0", 1, "q9", 1, "U1", 2, None),  # Back, then another branch, then gone
    ]
    [s] = tree_stats(frame(rows), at(500))
    assert (s.completed, s.abandoned) == (1, 0)
    assert s.median_seconds_to_outcome == 60.0


def test_current_node_is_the_latest_row_even_at_a_lower_step() -> None:
    rows = [
        *walk("w", ("start", 0, None), ("q1", 1, None), ("q3", 2, None)),
        ("w", TREE, "1.0.0", 1, "q2", 1, "U1", 3, None),  # Back twice, then another option
    ]
    [s] = tree_stats(frame(rows), at(100))
    assert s.abandoned_at == (NodeCount("q2", 1),)


def test_tie_on_time_goes_to_the_higher_step_whatever_the_row_order() -> None:
    rows = [
        ("w", TREE, "1.0.0", 1, "deeper", 0, "U1", 5, None),
        ("w", TREE, "1.0.0", 0, "start", None, "U1", 5, None),
    ]
    assert walks_table(frame(rows), at(100))["node"].tolist() == ["deeper"]


def test_top_five_abandoned_nodes_most_first_then_by_name() -> None:
    rows: list[Row] = []
    for i, node in enumerate(["q1", "q1", "q2", "q3", "q3", "q3", "q4", "q5", "q6", "q0"]):
        rows += walk(f"w{i}", ("start", 0, None), (node, 1, None))
    [s] = tree_stats(frame(rows), at(100))
    assert s.abandoned == 10
    assert s.abandoned_at == tuple(
        NodeCount(n, c) for n, c in [("q3", 3), ("q1", 2), ("q0", 1), ("q2", 1), ("q4", 1)]
    )


def test_versions_and_trees_apart_in_semver_order() -> None:
    rows = [
        *walk("w", ("start", 0, None), version="1.10.0"),
        *walk("w", ("start", 0, None), ("leaf", 1, "x"), version="1.9.0"),  # same id, another version
        *walk("w", ("start", 0, None), version="draft"),
        *walk("w", ("start", 0, None), tree="a-guide/t"),
    ]
    out = tree_stats(frame(rows), at(100))
    assert [(s.tree, s.version, s.walks) for s in out] == [
        ("a-guide/t", "1.0.0", 1),
        (TREE, "1.9.0", 1),
        (TREE, "1.10.0", 1),
        (TREE, "draft", 1),
    ]
    assert out[1].completed == 1 and out[2].completed == 0


def test_outcome_shares_and_order() -> None:
    rows: list[Row] = []
    for i, label in enumerate(["b", "a", "b", "c"]):
        rows += walk(f"w{i}", ("start", 0, None), ("leaf", i + 1, label))
    [s] = tree_stats(frame(rows), at(100))
    assert s.outcomes == (OutcomeCount("b", 2, 0.5), OutcomeCount("a", 1, 0.25), OutcomeCount("c", 1, 0.25))
    assert s.median_seconds_to_outcome == 150.0  # 60, 120, 180, 240
    assert s.completion_rate == 1.0


def test_other_zones_read_as_their_instant() -> None:
    df = frame(walk("w", ("start", 0, None)))
    df["at"] = df["at"].dt.tz_convert("Asia/Tokyo")
    as_of = at(30).astimezone(timezone(timedelta(hours=-5)))
    [s] = tree_stats(df, as_of)
    assert s.abandoned == 1


def test_bad_input_is_refused() -> None:
    df = frame(walk("w", ("start", 0, None)))
    with pytest.raises(ValueError, match="as_of must be timezone-aware"):
        tree_stats(df, datetime(2026, 3, 2))
    with pytest.raises(ValueError, match=r"lacks column.*outcome"):
        tree_stats(df.drop(columns=["outcome"]), at(0))
    naive = df.assign(at=df["at"].dt.tz_localize(None))
    with pytest.raises(ValueError, match="timezone-aware timestamps"):
        tree_stats(naive, at(0))


def test_json() -> None:
    rows = [*walk("w1", ("start", 0, None), ("leaf", 2, "sarcastic")), *walk("w2", ("start", 0, None))]
    doc = stats_to_json(tree_stats(frame(rows), at(45), expected=[(TREE, "1.1.0")]))
    assert json.loads(json.dumps(doc)) == doc
    assert doc == {
        "trees": [
            {
                "tree": TREE,
                "version": "1.0.0",
                "walks": 2,
                "completed": 1,
                "abandoned": 1,
                "in_progress": 0,
                "completion_rate": 0.5,
                "outcomes": [{"label": "sarcastic", "count": 1, "share": 1.0}],
                "abandoned_at": [{"node": "start", "count": 1}],
                "median_seconds_to_outcome": 120.0,
                "reasons": {},
            },
            {
                "tree": TREE,
                "version": "1.1.0",
                "walks": 0,
                "completed": 0,
                "abandoned": 0,
                "in_progress": 0,
                "completion_rate": None,
                "outcomes": [],
                "abandoned_at": [],
                "median_seconds_to_outcome": None,
                "reasons": {"completion_rate": "no walks", "median_seconds_to_outcome": "no completed walks"},
            },
        ]
    }


# --- against an independent reading of the rules --------------------------------------------------


def reference(rows: list[Row], as_of: datetime, idle: timedelta) -> list[dict]:
    """The module docstring's rules in plain Python, row by row."""
    walks: dict[tuple[str, str, str], list[tuple[int, Row]]] = {}
    for i, r in enumerate(rows):
        walks.setdefault((r[1], r[2], r[0]), []).append((i, r))
    per_version: dict[tuple[str, str], list[dict]] = {}
    for (tree, version, _), items in walks.items():

        def order(item: tuple[int, Row]) -> tuple[datetime, int, int]:
            return (at(item[1][7]), item[1][3], item[0])

        last = max(items, key=order)[1]
        with_outcome = [it for it in items if it[1][8] is not None]
        first = min(at(r[7]) for _, r in items)
        if with_outcome:
            done = max(with_outcome, key=order)[1]
            w = {"state": "completed", "label": done[8], "secs": (at(done[7]) - first).total_seconds()}
        elif as_of - at(last[7]) >= idle:
            w = {"state": "abandoned", "node": last[4]}
        else:
            w = {"state": "in_progress"}
        per_version.setdefault((tree, version), []).append(w)
    out = []
    for (tree, version), ws in per_version.items():
        n = Counter(w["state"] for w in ws)
        settled = n["completed"] + n["abandoned"]
        labels = Counter(w["label"] for w in ws if w["state"] == "completed")
        nodes = Counter(w["node"] for w in ws if w["state"] == "abandoned")
        secs = [w["secs"] for w in ws if w["state"] == "completed"]
        out.append(
            {
                "tree": tree,
                "version": version,
                "walks": len(ws),
                "completed": n["completed"],
                "abandoned": n["abandoned"],
                "in_progress": n["in_progress"],
                "completion_rate": n["completed"] / settled if settled else None,
                "outcomes": sorted(
                    ({"label": k, "count": c, "share": c / n["completed"]} for k, c in labels.items()),
                    key=lambda d: (-d["count"], d["label"]),
                ),
                "abandoned_at": sorted(
                    ({"node": k, "count": c} for k, c in nodes.items()),
                    key=lambda d: (-d["count"], d["node"]),
                )[:5],
                "median_seconds_to_outcome": statistics.median(secs) if secs else None,
            }
        )
    return sorted(out, key=lambda d: (d["tree"], d["version"]))


row_strategy = st.tuples(
    st.sampled_from(["w0", "w1", "w2", "w3", "w4", "w5"]),
    st.sampled_from(["g/a", "g/b"]),
    st.sampled_from(["1.0.0", "1.1.0"]),
    st.integers(0, 4),
    st.sampled_from(["start", "q1", "q2", "q3", "q4", "q5", "q6", "leaf"]),
    st.one_of(st.none(), st.integers(0, 7)),
    st.sampled_from(["U1", "U2"]),
    st.integers(0, 90).map(float),
    st.one_of(st.none(), st.none(), st.sampled_from(["pos", "neg", "neu"])),
)


@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(row_strategy, max_size=40), now=st.integers(0, 150), idle_min=st.sampled_from([1, 30, 60])
)
def test_matches_an_independent_reading(rows: list[Row], now: int, idle_min: int) -> None:
    idle = timedelta(minutes=idle_min)
    got = [
        {k: v for k, v in r.to_json().items() if k != "reasons"}
        for r in tree_stats(frame(rows), at(now), idle)
    ]
    assert got == reference(rows, at(now), idle)
