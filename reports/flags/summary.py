"""The digest's `flags` figures for one window: filed, open, resolved, time to resolution, hot spots."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd

from reports.flags.frame import cases, median_resolution, utc, validate
from reports.flags.hotspots import HALF_LIFE_DAYS, HotSpot, ReasonCount, hot_spots, no_section, reason_counts

TOP_SECTIONS = 5


@dataclass(frozen=True)
class OldestOpen:
    """The open case waiting longest: opened at its first flag, age in seconds at `now`."""

    case_id: Any
    project: str
    item_id: str
    opened_at: datetime
    age_seconds: float

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "case_id": self.case_id,
            "project": self.project,
            "item_id": self.item_id,
            "opened_at": self.opened_at.isoformat(),
            "age_seconds": self.age_seconds,
        }


@dataclass(frozen=True)
class FlagSummary:
    """Flags in the window [since, until) and cases now; a None figure has its reason in `na_reasons`."""

    since: datetime
    until: datetime
    now: datetime
    filed: int  # flags filed in the window
    open_cases: int  # cases not resolved, now
    resolved: int  # cases resolved in the window
    median_seconds_to_resolution: float | None  # over the cases resolved in the window
    oldest_open: OldestOpen | None
    reasons: tuple[ReasonCount, ...]  # of the flags filed in the window
    hot_spots: tuple[HotSpot, ...]  # sections of the flags filed in the window
    no_section: HotSpot | None  # the window's flags without a section
    na_reasons: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The digest JSON's `flags` section."""
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "filed": self.filed,
            "open_cases": self.open_cases,
            "resolved": self.resolved,
            "median_seconds_to_resolution": self.median_seconds_to_resolution,
            "oldest_open": None if self.oldest_open is None else self.oldest_open.to_json(),
            "reasons": [{"reason": r.reason, "flags": r.flags} for r in self.reasons],
            "hot_spots": [s.to_json() for s in self.hot_spots],
            "no_section": None if self.no_section is None else self.no_section.to_json(),
            "na_reasons": dict(self.na_reasons),
        }


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python one (so the JSON encoder takes it), anything else unchanged."""
    return value.item() if hasattr(value, "item") else value


def flag_summary(
    frame: pd.DataFrame,
    *,
    since: datetime,
    until: datetime,
    now: datetime,
    weights: Mapping[str, float] | None = None,
    half_life_days: float = HALF_LIFE_DAYS,
    top: int = TOP_SECTIONS,
) -> FlagSummary:
    """The window's figures: per flag for `filed`, `reasons` and the hot spots; per case for `open_cases`,
    `resolved`, the median time to resolution and the oldest open case.

    The window is half-open, [since, until). `open_cases` and the oldest open case are the cases' state in
    the frame (its present) aged at `now`; a resolved case counts in `resolved` when its `resolved_at` falls
    in the window, wherever its flags were filed. Hot spots rank the window's flags (`hot_spots` with
    `filed_in`), scored at `now`.
    """
    start, end, moment = utc(since, "since"), utc(until, "until"), utc(now, "now")
    if start >= end:
        raise ValueError(f"since ({start.isoformat()}) must be before until ({end.isoformat()})")
    df = validate(frame)
    all_cases = cases(df)
    filed = df[(df["filed_at"] >= start) & (df["filed_at"] < end)]
    resolved_at = all_cases["resolved_at"]
    in_window = all_cases[~all_cases["open"].astype(bool) & (resolved_at >= start) & (resolved_at < end)]
    median, why = median_resolution(in_window)
    na: dict[str, str] = {}
    if why is not None:
        na["median_seconds_to_resolution"] = (
            "no cases resolved in the window" if why == "no resolved cases" else why
        )
    open_rows = all_cases[all_cases["open"].astype(bool)]
    oldest = None
    if open_rows.empty:
        na["oldest_open"] = "no open cases"
    else:
        # Earliest opened first; equal times go to the smaller case id as text, whatever the row order.
        keyed = open_rows.assign(_k=[str(c) for c in open_rows.index])
        first = keyed.sort_values(["opened_at", "_k"], kind="stable").iloc[0]
        oldest = OldestOpen(
            case_id=_plain(first.name),
            project=str(first["project"]),
            item_id=str(first["item_id"]),
            opened_at=first["opened_at"].to_pydatetime(),
            age_seconds=max(0.0, (moment - first["opened_at"]).total_seconds()),
        )
    window = (start.to_pydatetime(), end.to_pydatetime())
    kwargs: dict[str, Any] = {
        "now": moment,
        "weights": weights,
        "half_life_days": half_life_days,
        "filed_in": window,
    }
    return FlagSummary(
        since=window[0],
        until=window[1],
        now=moment.to_pydatetime(),
        filed=len(filed),
        open_cases=len(open_rows),
        resolved=len(in_window),
        median_seconds_to_resolution=median,
        oldest_open=oldest,
        reasons=reason_counts(filed["reason"]),
        hot_spots=tuple(hot_spots(frame, top=top, **kwargs)),
        no_section=no_section(frame, **kwargs),
        na_reasons=na,
    )
