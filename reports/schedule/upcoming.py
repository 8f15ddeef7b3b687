"""A schedule's next due instant after a moment: what the App Home shows as "next run"."""

from __future__ import annotations

from datetime import datetime, timedelta

from reports.schedule.due import due_times
from reports.schedule.model import Schedule

# How far ahead to look: a cron of 29 February on working days only can wait over a decade for a
# leap day that is a weekday; beyond this the schedule is shown as having no run ahead.
HORIZON = timedelta(days=366 * 12)
_FIRST_STEP = timedelta(days=8)  # a week and a day: every daily or weekly schedule is found at once


def next_due(schedule: Schedule, after: datetime, horizon: timedelta = HORIZON) -> datetime | None:
    """The schedule's first due instant strictly after `after` (aware), in UTC; None within `horizon`.

    Looks ahead in doubling steps, so a common schedule costs one short `due_times` range.
    """
    start, step = after, _FIRST_STEP
    end = after + horizon
    while start < end:
        until = min(start + step, end)
        found = due_times(schedule, start, until)
        if found:
            return found[0]
        start, step = until, step * 2
    return None
