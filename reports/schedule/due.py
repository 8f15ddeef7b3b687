"""When a schedule is due, the key of each run, and what to do about runs missed while no bot ran.

Local times that do not exist or occur twice (daylight saving) follow one rule, the meaning of
`fold=0` in PEP 495:
- a time in the spring-forward gap (02:30 on the night clocks jump from 02:00 to 03:00) is due at the
  instant it would be without the jump, i.e. shifted later by the gap: 03:30 summer time, once;
- a time repeated in the autumn (02:30 when clocks fall back from 03:00 to 02:00) is due once, at its
  first occurrence (summer time).
Two cron times that land on the same instant that way (02:30 and 03:30 on the spring night) are one run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from reports.schedule.model import Schedule
from reports.schedule.workdays import is_holiday

# A run picked up this soon after its due instant counts as on time (the tick runs every minute or so).
ON_TIME = timedelta(minutes=5)


def _aware(value: datetime, what: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got {value!r}")
    return value.astimezone(UTC)


def skips_day(schedule: Schedule, day: date) -> bool:
    """Whether the schedule stays silent on this local day (weekend when working days only, holiday)."""
    if schedule.working_days_only and day.weekday() >= 5:
        return True
    return is_holiday(day, schedule.holidays, schedule.holidays_subdivision)


def local_instant(schedule: Schedule, day: date, at: time) -> datetime:
    """The UTC instant of wall time `at` on local `day` (gap: shifted later; repeated: the first)."""
    return datetime.combine(day, at, tzinfo=schedule.zone).replace(fold=0).astimezone(UTC)


def due_times(schedule: Schedule, after: datetime, until: datetime) -> tuple[datetime, ...]:
    """Every instant in (after, until] the schedule is due, in UTC, strictly increasing."""
    after, until = _aware(after, "after"), _aware(until, "until")
    if until <= after:
        return ()
    zone = schedule.zone
    # One local day either side: a zone's offset moves a local day's instants across the UTC bounds.
    first = after.astimezone(zone).date() - timedelta(days=1)
    last = until.astimezone(zone).date() + timedelta(days=1)
    times = [time(h, m) for h, m in schedule.cron.times()]
    found: set[datetime] = set()
    day = first
    while day <= last:
        if schedule.cron.matches(day) and not skips_day(schedule, day):
            for at in times:
                instant = local_instant(schedule, day, at)
                if after < instant <= until:
                    found.add(instant)
        day += timedelta(days=1)
    return tuple(sorted(found))


def run_key(schedule: Schedule, due: datetime) -> str:
    """The unique key of the schedule's run due at `due`: `NAME@YYYY-MM-DDTHH:MMZ` (UTC)."""
    return f"{schedule.name}@{_aware(due, 'due'):%Y-%m-%dT%H:%MZ}"


class Action(StrEnum):
    """What to do about a due run nobody has recorded yet."""

    POST = "post"  # on time
    POST_LATE = "post-late"  # missed, but within the grace: post once, marked late
    SKIP = "skip"  # record as skipped with the reason, never post


@dataclass(frozen=True)
class CatchUp:
    """The decision for one unrecorded due run."""

    due: datetime
    action: Action
    reason: str | None = None


def _hours(delta: timedelta) -> str:
    return f"{delta.total_seconds() / 3600:.3g}h"


def catch_up(
    schedule: Schedule, missed: Iterable[datetime], now: datetime, on_time: timedelta = ON_TIME
) -> tuple[CatchUp, ...]:
    """Decide each unrecorded due run at or before `now`, oldest first.

    Picked up within `on_time` of its due instant: post. Later but within the schedule's grace: post
    late. Older: skip. Of several postable runs only the newest is posted (its digest is the freshest;
    a burst of stale ones after downtime helps nobody); the others are skipped as superseded.
    Due instants after `now` are not missed and are left out.
    """
    now = _aware(now, "now")
    dues = sorted({_aware(d, "due") for d in missed if _aware(d, "due") <= now})
    decisions: list[CatchUp] = []
    for due in dues:
        late = now - due
        if late <= on_time:
            decisions.append(CatchUp(due, Action.POST))
        elif late <= schedule.grace:
            decisions.append(CatchUp(due, Action.POST_LATE, f"posted {_hours(late)} late"))
        else:
            decisions.append(
                CatchUp(
                    due,
                    Action.SKIP,
                    f"missed by {_hours(late)}, beyond the grace of {_hours(schedule.grace)}",
                )
            )
    postable = [i for i, d in enumerate(decisions) if d.action is not Action.SKIP]
    for i in postable[:-1]:
        newer = decisions[postable[-1]].due
        decisions[i] = CatchUp(
            decisions[i].due, Action.SKIP, f"superseded by the run due {newer:%Y-%m-%d %H:%M} UTC"
        )
    return tuple(decisions)


def window_start(schedule: Schedule, due: datetime, previous_due: datetime | None) -> datetime | None:
    """Where the run due at `due` starts reading: `due - length`, or the previous run's due (None: all)."""
    due = _aware(due, "due")
    if schedule.window.length is not None:
        return due - schedule.window.length
    return None if previous_due is None else _aware(previous_due, "previous_due")
