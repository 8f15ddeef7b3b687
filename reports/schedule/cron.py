"""A small five-field cron parser with the classic (Vixie) semantics and day and month names.

Why not APScheduler 3.x's `CronTrigger.from_crontab`: it numbers weekdays from 0 = Monday (a mistake
its own docs admit and keep for compatibility), so `1-5` would mean Tuesday to Saturday to anyone who
knows cron; and it answers "the next fire time after now", while a schedule needs every due instant of
a range with a documented rule for local times that do not exist or occur twice (reports/schedule/due.py).
Here `0 9 * * 1-5` and `0 9 * * mon-fri` mean the same weekdays as in crontab(5).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from reports.schedule.errors import ScheduleError

# A digest is a report, not a heartbeat: more often than hourly is a mistake, and the bound keeps
# due_times cheap (at most 24 instants per day of the range).
MAX_PER_DAY = 24

_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_abbr) if name}
_DAYS = {"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}
_ITEM = re.compile(r"(?P<range>\*|[a-z0-9]+(?:-[a-z0-9]+)?)(?:/(?P<step>[0-9]+))?")


@dataclass(frozen=True)
class Cron:
    """A parsed expression: the allowed values of each field (cron weekdays: 0 = Sunday … 6)."""

    expr: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    # Whether the day-of-month / day-of-week fields were restricted (not starting with "*"): when both
    # are, a day matches if either does (crontab(5)); otherwise both must.
    days_restricted: bool
    weekdays_restricted: bool

    def matches(self, day: date) -> bool:
        """Whether the expression fires on this (local) calendar day."""
        if day.month not in self.months:
            return False
        dom = day.day in self.days
        dow = (day.isoweekday() % 7) in self.weekdays
        if self.days_restricted and self.weekdays_restricted:
            return dom or dow
        return dom and dow

    def times(self) -> tuple[tuple[int, int], ...]:
        """The (hour, minute) pairs of a firing day, in order."""
        return tuple((h, m) for h in sorted(self.hours) for m in sorted(self.minutes))


def _value(token: str, low: int, high: int, names: dict[str, int], field: str) -> int:
    if token.isdigit():
        value = int(token)
    elif token in names:
        value = names[token]
    else:
        known = f" or a name ({', '.join(names)})" if names else ""
        raise ScheduleError("cron", f"{field} field: {token!r} is not a number {low}-{high}{known}")
    if not low <= value <= high:
        raise ScheduleError("cron", f"{field} field: {value} is outside {low}-{high}")
    return value


def _field(text: str, low: int, high: int, names: dict[str, int], field: str) -> frozenset[int]:
    values: set[int] = set()
    for item in text.split(","):
        m = _ITEM.fullmatch(item)
        if m is None:
            raise ScheduleError(
                "cron", f"{field} field: cannot read {item!r} (use *, N, N-M, a list N,M or a step */N)"
            )
        step = int(m["step"]) if m["step"] is not None else 1
        if step < 1:
            raise ScheduleError("cron", f"{field} field: the step in {item!r} must be at least 1")
        part = m["range"]
        if part == "*":
            start, end = low, high
        elif "-" in part:
            a, b = part.split("-")
            start, end = _value(a, low, high, names, field), _value(b, low, high, names, field)
            if start > end:
                raise ScheduleError("cron", f"{field} field: the range {item!r} runs backwards")
        else:
            start = _value(part, low, high, names, field)
            end = high if m["step"] is not None else start  # "5/15": from 5 on, every 15
        values.update(range(start, end + 1, step))
    return frozenset(values)


def parse_cron(expr: str) -> Cron:
    """Parse `minute hour day-of-month month day-of-week`; raise ScheduleError("cron", why)."""
    if not isinstance(expr, str):
        raise ScheduleError("cron", f"must be a string, got {type(expr).__name__}")
    fields = expr.lower().split()
    if len(fields) != 5:
        raise ScheduleError(
            "cron",
            f"must have 5 fields (minute hour day-of-month month day-of-week, e.g. "
            f'"0 9 * * mon-fri"), got {len(fields)} in {expr!r}',
        )
    minute, hour, dom, month, dow = fields
    weekdays = _field(dow, 0, 7, _DAYS, "day-of-week")
    cron = Cron(
        expr=" ".join(fields),
        minutes=_field(minute, 0, 59, {}, "minute"),
        hours=_field(hour, 0, 23, {}, "hour"),
        days=_field(dom, 1, 31, {}, "day-of-month"),
        months=_field(month, 1, 12, _MONTHS, "month"),
        weekdays=frozenset(d % 7 for d in weekdays),  # 7 is Sunday too
        days_restricted=not dom.startswith("*"),
        weekdays_restricted=not dow.startswith("*"),
    )
    per_day = len(cron.minutes) * len(cron.hours)
    if per_day > MAX_PER_DAY:
        raise ScheduleError(
            "cron", f"fires {per_day} times a day in {expr!r}; a digest fires at most {MAX_PER_DAY}"
        )
    if not cron.weekdays_restricted or not cron.days_restricted:
        # Only days of the month can rule out every day (e.g. "0 9 31 2 *"): say so rather than never post.
        longest = {m: calendar.monthrange(2024, m)[1] for m in cron.months}  # 2024: February has 29
        if not any(d <= longest[m] for m in cron.months for d in cron.days):
            raise ScheduleError("cron", f"never fires: no month of {expr!r} has those days")
    return cron
