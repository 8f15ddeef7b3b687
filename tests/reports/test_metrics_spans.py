"""Span agreement (reports.metrics.spans): hand-computed F1, a brute-force oracle, NLTK for position alpha."""

from __future__ import annotations

from itertools import combinations, permutations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nltk.metrics.agreement import AnnotationTask

from reports.metrics.spans import (
    NO_SPANS_REASON,
    UNKNOWN_LENGTH,
    has_spans,
    intersects,
    max_overlap_matching,
    span_agreement,
)

NaN = float("nan")


def frame(rows: list[tuple[str, str, str, float, float]]) -> pd.DataFrame:
    """(item, annotator, label, start, end) rows; NaN offsets: a row without a span."""
    return pd.DataFrame(rows, columns=["item", "annotator", "label", "span_start", "span_end"])


# i1: a PER[0,5) LOC[10,15) ORG[20,30); b PER[0,5) LOC[12,15) ORG[40,45)
# i2: a PER[0,4); b saw the item (a row without offsets) and marked nothing
# i3: a and b both saw it and marked nothing (empty item pair: no F1, left out)
# i4: only a, PER[0,3) (uncompared)
HAND = frame(
    [
        ("i1", "a", "PER", 0, 5),
        ("i1", "a", "LOC", 10, 15),
        ("i1", "a", "ORG", 20, 30),
        ("i1", "b", "PER", 0, 5),
        ("i1", "b", "LOC", 12, 15),
        ("i1", "b", "ORG", 40, 45),
        ("i2", "a", "PER", 0, 4),
        ("i2", "b", "PER", NaN, NaN),
        ("i3", "a", "PER", NaN, NaN),
        ("i3", "b", "PER", NaN, NaN),
        ("i4", "a", "PER", 0, 3),
    ]
)


def test_hand_computed_f1() -> None:
    got = span_agreement(HAND)
    # Spans on compared item pairs: i1 3 + 3, i2 1 + 0 → 7. Exact matches: PER[0,5) on i1 → 1.
    # Overlap matches: also LOC [10,15) ∩ [12,15) → 2; ORG [20,30) and [40,45) do not meet.
    assert (got.exact.matches, got.exact.spans) == (1, 7)
    assert got.exact.value == pytest.approx(2 * 1 / 7)
    assert (got.overlap.matches, got.overlap.spans) == (2, 7)
    assert got.overlap.value == pytest.approx(2 * 2 / 7)
    labels = {x.label: x for x in got.per_label}
    # PER: a 2 (i1, i2) + b 1 → 3 spans, 1 exact → 2/3; LOC: 2 spans, 0 exact, 1 overlap; ORG: 0 and 0.
    assert labels["PER"].spans == 3 and labels["PER"].exact.value == pytest.approx(2 / 3)
    assert labels["PER"].overlap.value == pytest.approx(2 / 3)
    assert labels["LOC"].exact.value == 0.0 and labels["LOC"].overlap.value == 1.0
    assert labels["ORG"].exact.value == 0.0 and labels["ORG"].overlap.value == 0.0
    assert got.items == 3 and got.item_pairs == 3 and got.empty_item_pairs == 1
    assert got.uncompared_spans == 1 and got.rows_without_offsets == 3 and got.spans == 8
    (pair,) = got.pairs
    assert (pair.a, pair.b, pair.items, pair.empty_items, pair.spans_a, pair.spans_b) == (
        "a",
        "b",
        3,
        1,
        4,
        3,
    )
    assert {x.annotator: (x.spans, x.items) for x in got.annotators} == {"a": (5, 4), "b": (3, 3)}
    # No lengths given: alpha over positions is n/a with its reason.
    assert got.position_alpha.alpha.value is None and got.position_alpha.alpha.reason == UNKNOWN_LENGTH
    js = got.to_json()
    assert js["exact_f1"] == pytest.approx(2 / 7) and js["position_alpha"]["reason"] == UNKNOWN_LENGTH


def test_three_annotators_micro_average_over_pairs() -> None:
    # One item, a/b/c each one PER span: a = b = [0,5), c = [1,5). Pairs ab, ac, bc, 2 spans each.
    # Exact: ab 1 → 2·1/6 = 1/3. Overlap: all three pairs → 2·3/6 = 1.
    got = span_agreement(frame([("i", x, "PER", s, 5) for x, s in (("a", 0), ("b", 0), ("c", 1))]))
    assert got.exact.value == pytest.approx(1 / 3) and got.overlap.value == 1.0
    assert [(p.a, p.b, p.exact.value) for p in got.pairs] == [
        ("a", "b", 1.0),
        ("a", "c", 0.0),
        ("b", "c", 0.0),
    ]


def test_maximum_matching_beats_greedy_by_overlap() -> None:
    # a: [0,10) and [5,6); b: [0,9) and [9,10). Greedy by overlap size pairs [0,10)–[0,9) (9 chars) and
    # leaves [5,6) without a partner (F1 = 2·1/4 = 0.5); the maximum matching pairs [0,10)–[9,10) and
    # [5,6)–[0,9): 2 matches, F1 = 2·2/4 = 1.
    rows = [("i", "a", "X", 0, 10), ("i", "a", "X", 5, 6), ("i", "b", "X", 0, 9), ("i", "b", "X", 9, 10)]
    assert span_agreement(frame(rows)).overlap.value == 1.0
    left, right = [(0, 10, "X"), (5, 6, "X")], [(0, 9, "X"), (9, 10, "X")]
    assert max_overlap_matching(left, right) == [(0, 1), (1, 0)]


def test_overlap_rule() -> None:
    assert intersects((0, 5, "A"), (4, 9, "A"))
    assert not intersects((0, 5, "A"), (5, 9, "A"))  # half-open: touching is not overlapping
    assert intersects((3, 3, "A"), (3, 3, "A"))  # identical zero-length spans match
    assert not intersects((3, 3, "A"), (0, 9, "A"))
    # Labels must agree for a match even when ranges are equal.
    assert span_agreement(frame([("i", "a", "A", 0, 5), ("i", "b", "B", 0, 5)])).overlap.value == 0.0


def test_no_spans_on_compared_items_is_na() -> None:
    got = span_agreement(frame([("i", "a", "A", NaN, NaN), ("i", "b", "A", NaN, NaN), ("j", "a", "A", 0, 1)]))
    assert got.exact.value is None and got.to_json()["reason"] == NO_SPANS_REASON
    assert got.empty_item_pairs == 1 and got.uncompared_spans == 1
    assert got.pairs[0].to_json()["reason"] == NO_SPANS_REASON


def test_latest_row_per_offsets_wins() -> None:
    df = frame([("i", "a", "A", 0, 5), ("i", "a", "B", 0, 5), ("i", "b", "B", 0, 5)])
    df["created_at"] = pd.to_datetime(["2026-01-01", "2026-01-02", "2026-01-01"], utc=True)
    got = span_agreement(df)
    assert got.spans == 2 and got.exact.value == 1.0


def test_has_spans() -> None:
    assert has_spans(HAND)
    assert not has_spans(frame([("i", "a", "A", NaN, NaN)]))
    assert not has_spans(pd.DataFrame({"item": ["i"], "annotator": ["a"], "label": ["A"]}))


# --- an independent oracle ------------------------------------------------------------------------


def _oracle_max_matching(xa: list[tuple[int, int]], xb: list[tuple[int, int]]) -> int:
    """Brute force: the largest set of disjoint intersecting pairs over every injection of the smaller side."""
    small, large = (xa, xb) if len(xa) <= len(xb) else (xb, xa)
    best = 0
    for perm in permutations(range(len(large)), len(small)):
        ok = sum(
            1
            for s, j in zip(small, perm, strict=True)
            if max(s[0], large[j][0]) < min(s[1], large[j][1]) or s == large[j]
        )
        best = max(best, ok)
    return best


def _oracle(rows: list[tuple[str, str, str, int, int]]) -> tuple[float | None, float | None]:
    """Micro F1 from sets: per item, per annotator pair, per label, 2ΣM / Σ(|A| + |B|)."""
    spans: dict[tuple[str, str], set[tuple[int, int, str]]] = {}
    for item, ann, lab, s, e in rows:
        spans.setdefault((item, ann), set()).add((s, e, lab))
    exact = overlap = total = 0
    for item in {r[0] for r in rows}:
        anns = sorted({a for i, a in spans if i == item})
        for a, b in combinations(anns, 2):
            sa, sb = spans[(item, a)], spans[(item, b)]
            total += len(sa) + len(sb)
            exact += len(sa & sb)
            for lab in {x[2] for x in sa | sb}:
                xa = [x[:2] for x in sa if x[2] == lab]
                xb = [x[:2] for x in sb if x[2] == lab]
                overlap += _oracle_max_matching(xa, xb)
    return (2 * exact / total, 2 * overlap / total) if total else (None, None)


span_rows = st.lists(
    st.tuples(
        st.sampled_from(["i1", "i2"]),
        st.sampled_from(["a", "b", "c"]),
        st.sampled_from(["A", "B"]),
        st.integers(0, 12),
        st.integers(0, 6),
    ).map(lambda r: (r[0], r[1], r[2], r[3], r[3] + r[4])),
    min_size=1,
    max_size=9,
    # The store keeps one row per item, annotator and offsets.
    unique_by=lambda r: (r[0], r[1], r[3], r[4]),
)


@settings(max_examples=200, deadline=None)
@given(rows=span_rows)
def test_f1_matches_brute_force_oracle(rows: list[tuple[str, str, str, int, int]]) -> None:
    got = span_agreement(frame([(i, a, lab, float(s), float(e)) for i, a, lab, s, e in rows]))
    exact, overlap = _oracle(rows)
    assert got.exact.value == pytest.approx(exact)
    assert got.overlap.value == pytest.approx(overlap)
    assert got.exact.value is None or got.exact.value <= got.overlap.value + 1e-12


# --- alpha over positions -------------------------------------------------------------------------


def _nltk_position_alpha(rows: list[tuple[str, str, str, float, float]], lengths: dict[str, int]) -> float:
    data = []
    annotated: dict[str, set[str]] = {}
    for item, ann, *_ in rows:
        annotated.setdefault(item, set()).add(ann)
    for item, anns in annotated.items():
        for ann in anns:
            for p in range(lengths[item]):
                labs = {lab for i, a, lab, s, e in rows if i == item and a == ann and s == s and s <= p < e}
                data.append((ann, f"{item}:{p}", "|".join(sorted(labs)) or "O"))
    return AnnotationTask(data=data).alpha()


POS_ROWS = [
    ("i1", "a", "PER", 0, 5),
    ("i1", "a", "LOC", 10, 15),
    ("i1", "b", "PER", 0, 6),
    ("i1", "b", "LOC", 12, 15),
    ("i1", "c", "PER", 1, 5),
    ("i1", "c", "PER", 3, 8),  # overlapping spans of one annotator: positions 3-4 are {PER}
    ("i2", "a", "ORG", 2, 9),
    ("i2", "b", "ORG", 2, 9),
    ("i2", "b", "PER", 4, 6),  # nested: positions 4-5 are {ORG, PER} for b
    ("i2", "c", "ORG", NaN, NaN),  # c saw i2 and marked nothing: all outside
]


def test_position_alpha_matches_nltk() -> None:
    lengths = {"i1": 20, "i2": 12}
    got = span_agreement(frame(POS_ROWS), lengths, min_pairable=1).position_alpha
    assert got.alpha.value == pytest.approx(_nltk_position_alpha(POS_ROWS, lengths), abs=1e-12)
    assert got.positions == 32 and got.alpha.pairable == 2 and got.items_without_length == 0


def test_position_alpha_clips_unknown_lengths_and_minimum() -> None:
    rows = [*POS_ROWS, ("i3", "a", "PER", 0, 3), ("i3", "b", "PER", 0, 3)]
    # i1 is 12 characters: LOC [10,15) and [12,15) run past its end and are clipped; i3 has no length.
    lengths = {"i1": 12, "i2": 12}
    got = span_agreement(frame(rows), lengths, min_pairable=1).position_alpha
    clipped = [(i, a, lab, s, min(e, 12)) for i, a, lab, s, e in POS_ROWS]
    assert got.alpha.value == pytest.approx(_nltk_position_alpha(clipped, lengths), abs=1e-12)
    assert got.clipped_spans == 2 and got.items_without_length == 1
    # The digest's minimum of pairable units: 2 items with a known length are too few by default.
    default = span_agreement(frame(rows), lengths).position_alpha
    assert default.alpha.value is None and "only 2 items with a known text length" in default.alpha.reason


def test_position_alpha_single_value_is_na() -> None:
    rows = [("i", "a", "A", 0, 4), ("i", "b", "A", 0, 4)]
    got = span_agreement(frame(rows), {"i": 4}, min_pairable=1).position_alpha
    assert got.alpha.value is None and "single value" in got.alpha.reason
