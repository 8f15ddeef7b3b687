"""Did a release fix a section? Its flags per day before vs after the release, with the window lengths."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from reports.flags.frame import DAY_SECONDS, utc, validate

WINDOW_DAYS = 28.0
MIN_DAYS = 7.0  # fewer days on either side and a weekly rhythm alone could make the difference


@dataclass(frozen=True)
class ReleaseEffect:
    """Flags on one section in [before_start, release_at) and [release_at, after_end).

    The rates are flags per day; both are None, with `reason`, when either side is under `MIN_DAYS` long.
    """

    slug: str
    anchor: str
    release_at: datetime
    before_start: datetime
    after_end: datetime
    before_days: float
    after_days: float
    before_flags: int
    after_flags: int
    before_per_day: float | None
    after_per_day: float | None
    reason: str | None

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict, ISO 8601 times."""
        return {
            "slug": self.slug,
            "anchor": self.anchor,
            "release_at": self.release_at.isoformat(),
            "before_start": self.before_start.isoformat(),
            "after_end": self.after_end.isoformat(),
            "before_days": self.before_days,
            "after_days": self.after_days,
            "before_flags": self.before_flags,
            "after_flags": self.after_flags,
            "before_per_day": self.before_per_day,
            "after_per_day": self.after_per_day,
            "reason": self.reason,
        }


def release_effect(
    frame: pd.DataFrame,
    *,
    slug: str,
    anchor: str,
    release_at: datetime,
    now: datetime,
    window_days: float = WINDOW_DAYS,
    records_since: datetime | None = None,
) -> ReleaseEffect:
    """Flags per day on `slug#anchor` (any version) before vs after `release_at`.

    After: [release_at, min(release_at + window_days, now)). Before: [max(release_at - window_days,
    records_since), release_at), where `records_since` is when flags began to be recorded (days before it
    had no chance of a flag, so they must not dilute the rate). Each rate is flags / days of its side; a
    day without flags is a zero, not missing data. Counted per flag, like the hot spots' `flags`.
    """
    if not window_days > 0:
        raise ValueError(f"window_days must be > 0, got {window_days!r}")
    released, moment = utc(release_at, "release_at"), utc(now, "now")
    span = pd.Timedelta(days=window_days)
    start = released - span
    if records_since is not None:
        start = max(start, utc(records_since, "records_since"))
    end = min(released + span, moment)
    before_days = max(0.0, (released - start).total_seconds() / DAY_SECONDS)
    after_days = max(0.0, (end - released).total_seconds() / DAY_SECONDS)
    df = validate(frame)
    on = df[(df["slug"] == slug) & (df["anchor"] == anchor)]["filed_at"]
    before = int(((on >= start) & (on < released)).sum())
    after = int(((on >= released) & (on < end)).sum())
    reasons = []
    if before_days < MIN_DAYS:
        reasons.append(f"only {before_days:.1f} days before the release (at least {MIN_DAYS:.0f} needed)")
    if released > moment:
        reasons.append("the release is after now")
    elif after_days < MIN_DAYS:
        reasons.append(f"only {after_days:.1f} days after the release (at least {MIN_DAYS:.0f} needed)")
    ok = not reasons
    return ReleaseEffect(
        slug=slug,
        anchor=anchor,
        release_at=released.to_pydatetime(),
        before_start=start.to_pydatetime(),
        after_end=max(end, released).to_pydatetime(),
        before_days=before_days,
        after_days=after_days,
        before_flags=before,
        after_flags=after,
        before_per_day=before / before_days if ok else None,
        after_per_day=after / after_days if ok else None,
        reason=None if ok else "; ".join(reasons),
    )
