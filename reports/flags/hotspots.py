"""Guideline hot spots: the sections that cause the most disputes, weighted by reason, recent first."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from guidelines.errors import VersionError
from guidelines.semver import parse_version
from reports.flags.frame import MUST_CHANGE, cases, decayed, median_resolution, utc, validate, weight_of

NO_SECTION = "(no section)"
HALF_LIFE_DAYS = 14.0
TOP = 10


@dataclass(frozen=True)
class ReasonCount:
    """A reason id and how many flags gave it."""

    reason: str
    flags: int


@dataclass(frozen=True)
class HotSpot:
    """One guideline section (slug + anchor, across versions), or the "(no section)" bucket (both None).

    Counts: `flags` per flag; `cases`, `open_cases`, `guideline_must_change` and the median per case (a
    case counts on every section one of its flags names). A None figure has its reason in `na_reasons`.
    """

    slug: str | None
    anchor: str | None
    versions: tuple[str, ...]  # the versions its flags were filed at, by semver precedence
    flags: int
    cases: int
    open_cases: int
    score: float
    reasons: tuple[ReasonCount, ...]  # most flags first, then by id
    median_seconds_to_resolution: float | None
    guideline_must_change: int
    last_filed: datetime
    na_reasons: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """`slug#anchor`, or "(no section)" for the bucket."""
        return NO_SECTION if self.anchor is None else f"{self.slug}#{self.anchor}"

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict: plain numbers and strings, ISO 8601 times."""
        return {
            "slug": self.slug,
            "anchor": self.anchor,
            "label": self.label,
            "versions": list(self.versions),
            "flags": self.flags,
            "cases": self.cases,
            "open_cases": self.open_cases,
            "score": self.score,
            "reasons": [{"reason": r.reason, "flags": r.flags} for r in self.reasons],
            "median_seconds_to_resolution": self.median_seconds_to_resolution,
            "guideline_must_change": self.guideline_must_change,
            "last_filed": self.last_filed.isoformat(),
            "na_reasons": dict(self.na_reasons),
        }


def reason_counts(reasons: pd.Series) -> tuple[ReasonCount, ...]:
    """Flags per reason id, most first, then by id."""
    counts = Counter(str(r) for r in reasons)
    return tuple(ReasonCount(r, n) for r, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _version_key(version: str) -> tuple[int, Any]:
    try:
        return (0, parse_version(version))
    except VersionError:
        return (1, version)


def _spot(
    slug: str | None, anchor: str | None, flags: pd.DataFrame, score: np.ndarray, all_cases: pd.DataFrame
) -> HotSpot:
    mine = all_cases.loc[pd.unique(flags["case_id"])]
    median, why = median_resolution(mine)
    versions = sorted({v for v in flags["version"] if v is not None}, key=_version_key)
    return HotSpot(
        slug=slug,
        anchor=anchor,
        versions=tuple(versions),
        flags=len(flags),
        cases=len(mine),
        open_cases=int(mine["open"].sum()),
        # fsum is exactly rounded, so the score does not depend on the rows' order.
        score=math.fsum(score.tolist()),
        reasons=reason_counts(flags["reason"]),
        median_seconds_to_resolution=median,
        guideline_must_change=int((mine["outcome"] == MUST_CHANGE).sum()),
        last_filed=flags["filed_at"].max().to_pydatetime(),
        na_reasons={} if why is None else {"median_seconds_to_resolution": why},
    )


def _prepared(
    frame: pd.DataFrame,
    now: datetime | pd.Timestamp,
    weights: Mapping[str, float] | None,
    half_life_days: float,
    filed_in: tuple[datetime, datetime] | None,
) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    """The flags to rank with their decayed weights, and the case table of the whole frame."""
    df = validate(frame)
    moment = utc(now, "now")
    all_cases = cases(df)
    score = decayed(df, moment, weight_of(weights), half_life_days)
    if filed_in is not None:
        since, until = utc(filed_in[0], "since"), utc(filed_in[1], "until")
        keep = ((df["filed_at"] >= since) & (df["filed_at"] < until)).to_numpy()
        df, score = df[keep], score[keep]
    return df, score, all_cases


def hot_spots(
    frame: pd.DataFrame,
    *,
    now: datetime | pd.Timestamp,
    weights: Mapping[str, float] | None = None,
    half_life_days: float = HALF_LIFE_DAYS,
    top: int = TOP,
    filed_in: tuple[datetime, datetime] | None = None,
) -> list[HotSpot]:
    """The `top` guideline sections by score; flags without a section are left out (see `no_section`).

    A section is (slug, anchor) across versions. Its score is

        score = Σ over its flags of  weight(reason) × 0.5 ** (age_days / half_life_days)

    with age_days = (now − filed_at) in days, clipped at 0, and weight(reason) from `weights` over
    `DEFAULT_WEIGHTS` (an unknown reason weighs `UNKNOWN_WEIGHT`): a flag loses half its weight every
    `half_life_days`. Ties go to more flags, then slug, then anchor. `filed_in` = (since, until) ranks only
    flags filed in [since, until), while cases (opened at, status, time to resolution) come from the whole
    frame.
    """
    if isinstance(top, bool) or not isinstance(top, int) or top < 0:
        raise ValueError(f"top must be an integer >= 0, got {top!r}")
    df, score, all_cases = _prepared(frame, now, weights, half_life_days, filed_in)
    sectioned = df["_section"].to_numpy(dtype=bool)
    spots = [
        _spot(slug, anchor, group, score[sectioned][idx], all_cases)
        for (slug, anchor), idx, group in _groups(df[sectioned])
    ]
    spots.sort(key=lambda s: (-s.score, -s.flags, s.slug or "", s.anchor or ""))
    return spots[:top]


def _groups(df: pd.DataFrame) -> list[tuple[tuple[str, str], np.ndarray, pd.DataFrame]]:
    """(slug, anchor), positions within `df`, rows, per section."""
    if df.empty:
        return []
    positions = df.reset_index(drop=True).groupby(["slug", "anchor"], sort=True).indices
    return [(key, idx, df.iloc[idx]) for key, idx in positions.items()]


def no_section(
    frame: pd.DataFrame,
    *,
    now: datetime | pd.Timestamp,
    weights: Mapping[str, float] | None = None,
    half_life_days: float = HALF_LIFE_DAYS,
    filed_in: tuple[datetime, datetime] | None = None,
) -> HotSpot | None:
    """The "(no section)" bucket: every flag without a slug or an anchor, scored like a section; None if none."""
    df, score, all_cases = _prepared(frame, now, weights, half_life_days, filed_in)
    loose = ~df["_section"].to_numpy(dtype=bool)
    if not loose.any():
        return None
    return _spot(None, None, df[loose], score[loose], all_cases)
