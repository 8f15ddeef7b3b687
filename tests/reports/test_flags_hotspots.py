"""Flag hot spots, the digest's flag summary and release effects (reports/flags/) on tiny hand-computed
frames, and properties over generated frames."""

from __future__ import annotations

import json
import math
import statistics
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reports.flags.frame import COLUMNS, DEFAULT_WEIGHTS
from reports.flags.hotspots import NO_SECTION, ReasonCount, hot_spots, no_section
from reports.flags.release import release_effect
from reports.flags.summary import flag_summary

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DAY = 86400.0


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


def flag(
    fid: int,
    case: str,
    days: float,
    *,
    reason: str | None = "other",
    slug: str | None = "g",
    anchor: str | None = "a",
    version: str | None = "1.0.0",
    status: str = "open",
    resolved: float | None = None,
    outcome: str | None = None,
    item: str | None = None,
) -> dict[str, object]:
    """One flag row, filed `days` after T0; `resolved` is days after T0 too."""
    return {
        "flag_id": fid,
        "case_id": case,
        "project": "p",
        "item_id": item or f"item-{case}",
        "reason": reason,
        "slug": slug,
        "version": version,
        "anchor": anchor,
        "filed_by": "U1",
        "filed_at": at(days),
        "case_status": status,
        "resolved_at": None if resolved is None else at(resolved),
        "outcome": outcome,
    }


def frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    """The store reader's shape: exactly COLUMNS, UTC timestamps, NaT where unresolved."""
    df = pd.DataFrame(rows, columns=list(COLUMNS))
    df["filed_at"] = pd.to_datetime(df["filed_at"], utc=True)
    df["resolved_at"] = pd.to_datetime(df["resolved_at"], utc=True)
    return df


# --- hot spots by hand -------------------------------------------------------------------------------

NOW = at(28)


def ranking_rows() -> list[dict[str, object]]:
    return [
        # g#a: case c1 (two flags, resolved at day 14.5, guideline must change) and case c2 (open).
        flag(1, "c1", 0, reason="guideline_unclear", version="1.0.0", status="resolved", resolved=14.5,
             outcome="guideline_must_change"),
        flag(2, "c1", 14, reason="label_confusion", version="1.10.0", status="resolved", resolved=14.5,
             outcome="guideline_must_change"),
        flag(3, "c2", 28, reason="my_own_reason", version="1.2.0"),
        # g#b: one fresh guideline flag on an assigned case.
        flag(4, "c3", 28, reason="guideline_missing_case", anchor="b", status="assigned"),
        # h#c: resolved, but the store lost the resolution time.
        flag(5, "c4", 28, reason="data_quality", slug="h", anchor="c", status="resolved"),
        # No section: no anchor, an empty anchor, no slug.
        flag(6, "c5", 21, reason="tool_problem", anchor=None),
        flag(7, "c6", 28, reason="other", anchor=""),
        flag(8, "c7", 28, reason="other", slug=None, anchor="x"),
    ]  # fmt: skip


def test_sections_ranked_by_hand() -> None:
    spots = hot_spots(frame(ranking_rows()), now=NOW)
    # g#b: 3.0 * 0.5**(0/14)                                      = 3.0
    # g#a: 3.0 * 0.5**(28/14) + 2.0 * 0.5**(14/14) + 1.0 (unknown) = 0.75 + 1.0 + 1.0 = 2.75
    # h#c: 0.5 * 0.5**0                                            = 0.5
    assert [s.label for s in spots] == ["g#b", "g#a", "h#c"]
    assert [s.score for s in spots] == [3.0, 2.75, 0.5]
    ga = spots[1]
    assert (ga.slug, ga.anchor) == ("g", "a")
    assert ga.versions == ("1.0.0", "1.2.0", "1.10.0")  # semver precedence, not text order
    assert (ga.flags, ga.cases, ga.open_cases, ga.guideline_must_change) == (3, 2, 1, 1)
    assert ga.reasons == (
        ReasonCount("guideline_unclear", 1),
        ReasonCount("label_confusion", 1),
        ReasonCount("my_own_reason", 1),
    )
    # c1 opened at its first flag (day 0), resolved at day 14.5: 14.5 * 86400 s; c2 is open.
    assert ga.median_seconds_to_resolution == 14.5 * DAY == 1_252_800
    assert ga.na_reasons == {}
    assert ga.last_filed == NOW
    gb = spots[0]
    assert (gb.flags, gb.cases, gb.open_cases) == (1, 1, 1)  # assigned is open
    assert gb.median_seconds_to_resolution is None
    assert gb.na_reasons == {"median_seconds_to_resolution": "no resolved cases"}
    hc = spots[2]
    assert (hc.open_cases, hc.median_seconds_to_resolution) == (0, None)
    assert hc.na_reasons == {
        "median_seconds_to_resolution": "1 resolved case(s), none with a resolution time"
    }


def test_flags_without_a_section_are_one_separate_bucket() -> None:
    df = frame(ranking_rows())
    assert all(s.anchor is not None for s in hot_spots(df, now=NOW))
    bucket = no_section(df, now=NOW)
    assert bucket is not None
    assert (bucket.slug, bucket.anchor, bucket.label) == (None, None, NO_SECTION)
    assert (bucket.flags, bucket.cases, bucket.open_cases) == (3, 3, 3)
    # tool_problem 7 days old: 0.5 * 0.5**(7/14); two fresh `other`: 1.0 + 1.0
    assert bucket.score == pytest.approx(0.5 * 0.5**0.5 + 2.0)
    assert bucket.reasons == (ReasonCount("other", 2), ReasonCount("tool_problem", 1))


def test_top_and_weights() -> None:
    df = frame(ranking_rows())
    assert [s.label for s in hot_spots(df, now=NOW, top=1)] == ["g#b"]
    assert hot_spots(df, now=NOW, top=0) == []
    # data_quality at 10: h#c scores 10.0; the override keeps the other defaults.
    boosted = hot_spots(df, now=NOW, weights={"data_quality": 10.0, "my_own_reason": 0.0})
    assert [(s.label, s.score) for s in boosted] == [("h#c", 10.0), ("g#b", 3.0), ("g#a", 1.75)]


def test_half_life() -> None:
    df = frame([flag(1, "c1", 0, reason="guideline_unclear")])
    # 28 days with a 7-day half-life: 3.0 * 0.5**4 = 0.1875
    assert hot_spots(df, now=NOW, half_life_days=7)[0].score == 0.1875
    # A flag stamped after `now` (clock skew) counts as new, not as more than its weight.
    assert hot_spots(df, now=at(-1))[0].score == 3.0


def test_ties_go_to_more_flags_then_slug_then_anchor() -> None:
    rows = [
        flag(1, "c1", 28, reason="guideline_unclear", slug="z", anchor="a"),  # 3.0, one flag
        flag(2, "c2", 28, slug="y", anchor="b"),  # 3 x other = 3.0, three flags
        flag(3, "c2", 28, slug="y", anchor="b"),
        flag(4, "c2", 28, slug="y", anchor="b"),
        flag(5, "c3", 28, reason="guideline_unclear", slug="b", anchor="z"),  # 3.0, one flag
        flag(6, "c4", 28, reason="guideline_unclear", slug="b", anchor="m"),  # 3.0, one flag
    ]
    assert [s.label for s in hot_spots(frame(rows), now=NOW)] == ["y#b", "b#m", "b#z", "z#a"]


def test_a_case_counts_on_every_section_its_flags_name() -> None:
    rows = [
        flag(1, "c1", 0, anchor="a", status="resolved", resolved=1, outcome="guideline_must_change"),
        flag(2, "c1", 0.5, anchor="b", status="resolved", resolved=1, outcome="guideline_must_change"),
    ]
    spots = {s.anchor: s for s in hot_spots(frame(rows), now=NOW)}
    # Both sections see case c1, opened at day 0 (its first flag), resolved after one day.
    assert {
        k: (s.cases, s.guideline_must_change, s.median_seconds_to_resolution) for k, s in spots.items()
    } == {
        "a": (1, 1, DAY),
        "b": (1, 1, DAY),
    }


def test_median_time_to_resolution_is_a_median() -> None:
    rows = [
        flag(1, "c1", 0, status="resolved", resolved=1),  # 1 day
        flag(2, "c2", 0, status="resolved", resolved=2),  # 2 days
        flag(3, "c3", 0, status="resolved", resolved=9),  # 9 days: the mean would be 4
    ]
    assert hot_spots(frame(rows), now=NOW)[0].median_seconds_to_resolution == 2 * DAY


def test_a_case_is_read_from_its_latest_row() -> None:
    # Rows of one case that disagree (a read racing an adjudication): the later flag's row wins,
    # whatever the row order; flag 2 and flag 3 tie on filed_at, and "3" > "2" as text.
    rows = [
        flag(3, "c1", 5, status="resolved", resolved=6, outcome="guideline_must_change"),
        flag(2, "c1", 5),
        flag(1, "c1", 0),
    ]
    spot = hot_spots(frame(rows), now=NOW)[0]
    assert (spot.open_cases, spot.guideline_must_change, spot.median_seconds_to_resolution) == (0, 1, 6 * DAY)


def test_to_json_is_plain() -> None:
    spot = hot_spots(frame(ranking_rows()), now=NOW)[1]
    doc = json.loads(json.dumps(spot.to_json()))
    assert doc["label"] == "g#a" and doc["score"] == 2.75 and doc["last_filed"] == "2026-03-30T09:00:00+00:00"
    assert doc["reasons"][0] == {"reason": "guideline_unclear", "flags": 1}


# --- edge cases ---------------------------------------------------------------------------------------


def test_empty_frame() -> None:
    empty = pd.DataFrame(columns=list(COLUMNS))  # untyped, as an empty read may come back
    assert hot_spots(empty, now=NOW) == []
    assert no_section(empty, now=NOW) is None
    s = flag_summary(empty, since=at(0), until=at(7), now=at(7))
    assert (s.filed, s.open_cases, s.resolved, s.oldest_open, s.reasons, s.hot_spots) == (
        0,
        0,
        0,
        None,
        (),
        (),
    )
    assert s.na_reasons == {
        "median_seconds_to_resolution": "no cases resolved in the window",
        "oldest_open": "no open cases",
    }
    effect = release_effect(empty, slug="g", anchor="a", release_at=at(0), now=at(14), window_days=14)
    assert (effect.before_flags, effect.after_flags, effect.before_per_day, effect.after_per_day) == (
        0,
        0,
        0.0,
        0.0,
    )


def test_all_without_anchors() -> None:
    df = frame([flag(1, "c1", 0, anchor=None), flag(2, "c2", 1), flag(3, "c3", 2)])
    df["anchor"] = pd.Series([None, float("nan"), pd.NA], dtype=object)
    assert hot_spots(df, now=NOW) == []
    bucket = no_section(df, now=NOW)
    assert bucket is not None and (bucket.flags, bucket.cases) == (3, 3)


def test_unknown_and_missing_reasons_weigh_like_other() -> None:
    df = frame([flag(1, "c1", 28, reason="brand_new_reason"), flag(2, "c2", 28, reason=None)])
    spot = hot_spots(df, now=NOW)[0]
    assert spot.score == 2.0  # 1.0 + 1.0
    assert spot.reasons == (ReasonCount("(none)", 1), ReasonCount("brand_new_reason", 1))


def test_default_weights_as_specified() -> None:
    assert DEFAULT_WEIGHTS == {
        "guideline_unclear": 3.0,
        "guideline_missing_case": 3.0,
        "guideline_contradiction": 3.0,
        "label_confusion": 2.0,
        "span_boundary": 2.0,
        "other": 1.0,
        "data_quality": 0.5,
        "tool_problem": 0.5,
    }


def test_bad_frames_are_explained() -> None:
    df = frame(ranking_rows())
    with pytest.raises(ValueError, match=r"lacks column.*anchor"):
        hot_spots(df.drop(columns=["anchor"]), now=NOW)
    naive = df.assign(filed_at=df["filed_at"].dt.tz_localize(None))
    with pytest.raises(ValueError, match="`filed_at` must hold timezone-aware"):
        hot_spots(naive, now=NOW)
    lost = df.copy()
    lost.loc[0, "filed_at"] = pd.NaT
    with pytest.raises(ValueError, match="`filed_at` must be set on every flag; 1 lack it"):
        hot_spots(lost, now=NOW)
    orphan = df.copy()
    orphan.loc[2, "case_id"] = None
    with pytest.raises(ValueError, match="`case_id` must be set on every flag; 1 lack it"):
        hot_spots(orphan, now=NOW)
    with pytest.raises(ValueError, match="`flag_id` must be unique; repeated: 1"):
        hot_spots(pd.concat([df, df.iloc[:1]]), now=NOW)
    with pytest.raises(ValueError, match="now must be a timezone-aware"):
        hot_spots(df, now=datetime(2026, 3, 30))
    with pytest.raises(ValueError, match="weight of reason 'other'"):
        hot_spots(df, now=NOW, weights={"other": -1.0})
    with pytest.raises(ValueError, match="half_life_days"):
        hot_spots(df, now=NOW, half_life_days=0)
    with pytest.raises(ValueError, match="top"):
        hot_spots(df, now=NOW, top=-1)
    with pytest.raises(ValueError, match=r"since .* must be before until"):
        flag_summary(df, since=at(7), until=at(7), now=NOW)


# --- the digest's summary ------------------------------------------------------------------------------


def summary_rows() -> list[dict[str, object]]:
    return [
        # A: first flag before the window, resolved in it: 5 days from its first flag.
        flag(1, "A", 0, reason="guideline_unclear", anchor="s1", status="resolved", resolved=5),
        flag(2, "A", 4, reason="label_confusion", anchor="s1", status="resolved", resolved=5),
        # B: filed and resolved in the window: 2 days.
        flag(3, "B", 6, reason="span_boundary", anchor="s2", status="resolved", resolved=8),
        # C: resolved before the window.
        flag(4, "C", 1, reason="other", anchor=None, status="resolved", resolved=2),
        # D: open since day 2, the oldest open case.
        flag(5, "D", 2, reason="guideline_unclear", anchor="s1", item="item-42"),
        # E: assigned, filed in the window.
        flag(6, "E", 9, reason="data_quality", anchor="s2", status="assigned"),
        # F: filed exactly at `until`: outside the half-open window, but open now.
        flag(7, "F", 10, reason="other", anchor="s3"),
    ]


def test_flag_summary_by_hand() -> None:
    s = flag_summary(frame(summary_rows()), since=at(3), until=at(10), now=at(10))
    assert s.filed == 3  # flags 2, 3 and 6
    assert s.reasons == (
        ReasonCount("data_quality", 1),
        ReasonCount("label_confusion", 1),
        ReasonCount("span_boundary", 1),
    )
    assert s.open_cases == 3  # D, E, F
    assert s.resolved == 2  # A (day 5), B (day 8); C was resolved on day 2
    assert s.median_seconds_to_resolution == (5 * DAY + 2 * DAY) / 2 == 302_400
    assert s.na_reasons == {}
    assert s.oldest_open is not None
    assert (s.oldest_open.case_id, s.oldest_open.item_id, s.oldest_open.age_seconds) == (
        "D",
        "item-42",
        8 * DAY,
    )
    # Hot spots of the window's flags, scored at day 10:
    # s2: flag 3, span_boundary 4 days old, 2.0 * 0.5**(4/14); flag 6, data_quality 1 day old, 0.5 * 0.5**(1/14)
    # s1: flag 2, label_confusion 6 days old, 2.0 * 0.5**(6/14)   (flags 1 and 5 were filed before the window)
    assert [h.label for h in s.hot_spots] == ["g#s2", "g#s1"]
    assert s.hot_spots[0].score == pytest.approx(2.0 * 0.5 ** (4 / 14) + 0.5 * 0.5 ** (1 / 14))
    assert s.hot_spots[1].score == pytest.approx(2.0 * 0.5 ** (6 / 14))
    # s1 in the window: case A only, its time to resolution counted from its first flag (day 0), not day 4.
    assert (s.hot_spots[1].cases, s.hot_spots[1].median_seconds_to_resolution) == (1, 5 * DAY)
    assert s.no_section is None  # flag 4 (no anchor) was filed on day 1
    doc = json.loads(json.dumps(s.to_json()))
    assert doc["oldest_open"]["case_id"] == "D" and doc["hot_spots"][0]["label"] == "g#s2"


def test_flag_summary_na_and_ties() -> None:
    rows = [
        flag(1, 20, 0, status="resolved"),  # resolved without a time
        flag(2, 11, 1),
        flag(3, 3, 1),  # opened with 11: "11" < "3" as text, so 11 is the oldest
    ]
    s = flag_summary(frame(rows), since=at(0), until=at(2), now=at(2))
    assert s.resolved == 0  # no resolved_at, so not resolved in any window
    assert s.na_reasons == {"median_seconds_to_resolution": "no cases resolved in the window"}
    assert s.oldest_open is not None and s.oldest_open.case_id == 11 and s.oldest_open.age_seconds == DAY
    assert json.loads(json.dumps(s.to_json()))["oldest_open"]["case_id"] == 11


# --- did the release fix it? -----------------------------------------------------------------------------

R = 30.0  # the release, days after T0


def test_release_effect_by_hand() -> None:
    rows = [flag(i, f"b{i}", R - 20 + i) for i in range(7)]  # 7 flags in the 28 days before
    rows += [
        flag(10, "x1", R - 29),  # before the 28-day window
        flag(11, "a1", R, version="2.0.0"),  # at the release: after; any version counts
        flag(12, "a2", R + 3),
        flag(13, "a3", R + 14),  # at `now`: the after side is [R, now)
        flag(14, "o1", R + 1, anchor="other"),  # another section
    ]
    e = release_effect(frame(rows), slug="g", anchor="a", release_at=at(R), now=at(R + 14))
    assert (e.before_days, e.after_days) == (28.0, 14.0)
    assert (e.before_flags, e.after_flags) == (7, 2)
    assert e.before_per_day == 7 / 28 == 0.25
    assert e.after_per_day == 2 / 14
    assert e.reason is None
    assert (e.before_start, e.after_end) == (at(R - 28), at(R + 14))
    assert json.loads(json.dumps(e.to_json()))["after_per_day"] == 2 / 14


def test_release_effect_needs_a_week_each_side() -> None:
    df = frame([flag(1, "c", R - 1), flag(2, "c", R + 1)])
    short_after = release_effect(df, slug="g", anchor="a", release_at=at(R), now=at(R + 6))
    assert (short_after.before_per_day, short_after.after_per_day) == (None, None)
    assert short_after.reason == "only 6.0 days after the release (at least 7 needed)"
    assert (short_after.before_flags, short_after.after_flags, short_after.after_days) == (1, 1, 6.0)
    # Flags were recorded only from 3 days before the release: those days are the whole before side.
    short_before = release_effect(
        df, slug="g", anchor="a", release_at=at(R), now=at(R + 30), records_since=at(R - 3)
    )
    assert short_before.before_days == 3.0
    assert short_before.reason == "only 3.0 days before the release (at least 7 needed)"
    future = release_effect(df, slug="g", anchor="a", release_at=at(R), now=at(R - 1))
    assert future.reason == "the release is after now" and future.after_days == 0.0


# --- properties --------------------------------------------------------------------------------------

REASONS = [*DEFAULT_WEIGHTS, "made_up", None]


@st.composite
def flag_frames(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(0, 25))
    rows = []
    for i in range(n):
        resolved = draw(st.one_of(st.none(), st.integers(0, 60 * 24 * 40)))
        rows.append(
            {
                "flag_id": i,
                "case_id": draw(st.integers(0, 6)),
                "project": "p",
                "item_id": draw(st.sampled_from(["i1", "i2"])),
                "reason": draw(st.sampled_from(REASONS)),
                "slug": draw(st.sampled_from(["g", "h", None])),
                "version": draw(st.sampled_from(["1.0.0", "1.2.0", "1.10.0", "draft", None])),
                "anchor": draw(st.sampled_from(["a", "b", "", None])),
                "filed_by": "U1",
                "filed_at": T0 + timedelta(minutes=draw(st.integers(0, 60 * 24 * 40))),
                "case_status": draw(st.sampled_from(["open", "assigned", "resolved"])),
                "resolved_at": None if resolved is None else T0 + timedelta(minutes=resolved),
                "outcome": draw(st.sampled_from([None, "annotator_right", "guideline_must_change"])),
            }
        )
    return frame(rows)


def _score_oracle(df: pd.DataFrame, now: datetime) -> dict[tuple[str, str], float]:
    """Plain Python: per (slug, anchor) the sum of weight * 0.5 ** (age_days / 14)."""
    out: dict[tuple[str, str], float] = {}
    for r in df.itertuples():
        if r.slug is None or r.anchor in (None, ""):
            continue
        age = max(0.0, (now - r.filed_at.to_pydatetime()).total_seconds() / DAY)
        w = DEFAULT_WEIGHTS.get(r.reason, 1.0) if r.reason is not None else 1.0
        out[(r.slug, r.anchor)] = out.get((r.slug, r.anchor), 0.0) + w * 0.5 ** (age / 14)
    return out


@settings(max_examples=150, deadline=None)
@given(df=flag_frames(), now_days=st.integers(0, 50), seed=st.integers(0, 2**32 - 1))
def test_hot_spot_properties(df: pd.DataFrame, now_days: int, seed: int) -> None:
    now = at(now_days)
    spots = hot_spots(df, now=now, top=100)
    bucket = no_section(df, now=now)
    oracle = _score_oracle(df, now)
    assert {(s.slug, s.anchor) for s in spots} == set(oracle)
    for s in spots:
        assert s.score >= 0 and math.isfinite(s.score)
        assert s.score == pytest.approx(oracle[(s.slug, s.anchor)])
        assert sum(r.flags for r in s.reasons) == s.flags
        assert 0 <= s.open_cases <= s.cases <= s.flags
    keys = [(-s.score, -s.flags, s.slug, s.anchor) for s in spots]
    assert keys == sorted(keys)
    assert sum(s.flags for s in spots) + (bucket.flags if bucket else 0) == len(df)
    shuffled = df.sample(frac=1.0, random_state=seed % 2**32).reset_index(drop=True)
    assert hot_spots(shuffled, now=now, top=100) == spots
    assert no_section(shuffled, now=now) == bucket
    assert hot_spots(df, now=now, top=3) == spots[:3]


def _cases_oracle(df: pd.DataFrame) -> dict[object, dict[str, object]]:
    """Plain Python: each case's latest row by (filed_at, flag_id as text), and its first filed_at."""
    out: dict[object, dict[str, object]] = {}
    for r in sorted(df.to_dict("records"), key=lambda r: (r["filed_at"], str(r["flag_id"]))):
        first = out.get(r["case_id"], {}).get("opened", r["filed_at"])
        out[r["case_id"]] = {**r, "opened": first}
    return out


@settings(max_examples=100, deadline=None)
@given(df=flag_frames(), since=st.integers(0, 30), length=st.integers(1, 20), seed=st.integers(0, 2**32 - 1))
def test_summary_properties(df: pd.DataFrame, since: int, length: int, seed: int) -> None:
    lo, hi = at(since), at(since + length)
    window = {"since": lo, "until": hi, "now": hi}
    s = flag_summary(df, top=100, **window)
    inside = int(((df["filed_at"] >= lo) & (df["filed_at"] < hi)).sum())
    assert s.filed == inside == sum(r.flags for r in s.reasons)
    assert s.filed == sum(h.flags for h in s.hot_spots) + (s.no_section.flags if s.no_section else 0)
    cases = _cases_oracle(df)
    open_ = [c for c in cases.values() if c["case_status"] != "resolved"]
    assert s.open_cases == len(open_)
    done = [
        c
        for c in cases.values()
        if c["case_status"] == "resolved" and pd.notna(c["resolved_at"]) and lo <= c["resolved_at"] < hi
    ]
    assert s.resolved == len(done)
    if done:
        waits = [max(0.0, (c["resolved_at"] - c["opened"]).total_seconds()) for c in done]
        assert s.median_seconds_to_resolution == pytest.approx(statistics.median(waits))
    else:
        assert s.median_seconds_to_resolution is None and "median_seconds_to_resolution" in s.na_reasons
    if open_:
        oldest = min(open_, key=lambda c: (c["opened"], str(c["case_id"])))
        assert s.oldest_open is not None and s.oldest_open.case_id == oldest["case_id"]
    else:
        assert s.oldest_open is None
    shuffled = df.sample(frac=1.0, random_state=seed % 2**32).reset_index(drop=True)
    assert flag_summary(shuffled, top=100, **window) == s
