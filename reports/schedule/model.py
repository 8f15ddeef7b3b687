"""The Schedule dataclass and its validation from a plain mapping (a config table or a Slack form)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from reports.schedule.cron import Cron, parse_cron
from reports.schedule.errors import ScheduleError
from reports.schedule.workdays import check_calendar

LEADS_DM = "leads-dm"  # a target: each lead of the projects in a direct message
DEFAULT_GRACE = timedelta(hours=6)
MAX_GRACE_HOURS = 7 * 24
MAX_WINDOW = timedelta(days=366)

NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
# Public and private channel ids; DMs are addressed by "leads-dm", never by a D… id that can change.
CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{2,30}")
_WINDOW = re.compile(r"([1-9][0-9]{0,3})([dh])")

KEYS = frozenset(
    {
        "name",
        "projects",
        "targets",
        "cron",
        "timezone",
        "window",
        "working_days_only",
        "holidays",
        "holidays_subdivision",
        "charts",
        "html",
        "grace_hours",
    }
)


@dataclass(frozen=True)
class Window:
    """What a run covers: the `length` before its due instant, or (length None) since the last run."""

    length: timedelta | None

    @property
    def since_last(self) -> bool:
        """Whether the window starts where the previous run of the schedule ended."""
        return self.length is None

    def __str__(self) -> str:
        if self.length is None:
            return "since-last"
        hours = int(self.length.total_seconds() // 3600)
        return f"{hours // 24}d" if hours % 24 == 0 else f"{hours}h"


@dataclass(frozen=True)
class Schedule:
    """One digest schedule: what to send where, when (cron in `timezone`), over which window."""

    name: str
    projects: tuple[str, ...]
    targets: tuple[str, ...]  # channel ids and/or LEADS_DM
    cron: Cron
    timezone: str  # IANA name
    window: Window = Window(timedelta(days=1))
    working_days_only: bool = False  # skip Saturdays and Sundays (local days)
    holidays: str | None = None  # country code of the `holidays` package, e.g. "DE"
    holidays_subdivision: str | None = None  # e.g. "BY"
    charts: bool = True
    html: bool = True
    grace: timedelta = DEFAULT_GRACE
    zone: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "zone", ZoneInfo(self.timezone))


def parse_window(value: Any) -> Window:
    """`Nd` or `Nh` (N >= 1, at most 366 days) or `since-last`; raise ScheduleError("window", why)."""
    if value == "since-last":
        return Window(None)
    m = _WINDOW.fullmatch(value) if isinstance(value, str) else None
    if m is None:
        raise ScheduleError("window", f'must be like "1d", "7d", "12h" or "since-last", got {value!r}')
    n = int(m[1])
    length = timedelta(days=n) if m[2] == "d" else timedelta(hours=n)
    if length > MAX_WINDOW:
        raise ScheduleError("window", f"must be at most 366 days, got {value!r}")
    return Window(length)


def parse_timezone(value: Any) -> str:
    """An IANA zone name; raise ScheduleError("timezone", why)."""
    if isinstance(value, str) and value and "\x00" not in value:
        try:
            ZoneInfo(value)
            return value
        except (ZoneInfoNotFoundError, ValueError):
            pass
    raise ScheduleError(
        "timezone", f"must be an IANA time zone name such as Europe/Berlin or UTC, got {value!r}"
    )


def _typed(data: Mapping[str, Any], key: str, kind: type, default: Any) -> Any:
    value = data.get(key, default)
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise ScheduleError(key, f"must be {kind.__name__}, got {type(value).__name__}")
    return value


def _strings(data: Mapping[str, Any], key: str) -> tuple[str, ...]:
    values = _typed(data, key, list, [])
    if not values:
        raise ScheduleError(key, "must name at least one")
    for i, v in enumerate(values):
        if not isinstance(v, str) or not v:
            raise ScheduleError(f"{key}[{i}]", f"must be a non-empty string, got {v!r}")
    return tuple(dict.fromkeys(values))


def schedule_from_mapping(data: Mapping[str, Any], default_timezone: str = "UTC") -> Schedule:
    """Validate one schedule's fields (keys as in KEYS); raise ScheduleError naming the first bad key."""
    unknown = sorted(str(k) for k in set(data) - KEYS)
    if unknown:
        raise ScheduleError(unknown[0], f"is not a schedule key (known: {', '.join(sorted(KEYS))})")
    for required in ("name", "projects", "targets", "cron"):
        if required not in data:
            raise ScheduleError(required, "is required")
    name = _typed(data, "name", str, "")
    if not NAME.fullmatch(name):
        raise ScheduleError(
            "name", f"must be a slug of 1-40 characters (a-z, 0-9, _ and -, starting alnum), got {name!r}"
        )
    projects = _strings(data, "projects")
    targets = _strings(data, "targets")
    for i, t in enumerate(targets):
        if t != LEADS_DM and not CHANNEL_ID.fullmatch(t):
            raise ScheduleError(
                f"targets[{i}]", f'must be a channel id (C… or G…) or "{LEADS_DM}", got {t!r}'
            )
    country = data.get("holidays")
    subdivision = data.get("holidays_subdivision")
    if country is not None and not isinstance(country, str):
        raise ScheduleError("holidays", f"must be a country code string, got {type(country).__name__}")
    if subdivision is not None and not isinstance(subdivision, str):
        raise ScheduleError(
            "holidays_subdivision", f"must be a subdivision code string, got {type(subdivision).__name__}"
        )
    if subdivision is not None and country is None:
        raise ScheduleError("holidays_subdivision", "needs 'holidays' (the country) as well")
    if country is not None:
        check_calendar(country, subdivision)
    grace = data.get("grace_hours", DEFAULT_GRACE.total_seconds() / 3600)
    if isinstance(grace, bool) or not isinstance(grace, int | float) or not 0 <= grace <= MAX_GRACE_HOURS:
        raise ScheduleError("grace_hours", f"must be a number of hours 0-{MAX_GRACE_HOURS}, got {grace!r}")
    return Schedule(
        name=name,
        projects=projects,
        targets=targets,
        cron=parse_cron(data["cron"]),
        timezone=parse_timezone(data.get("timezone", default_timezone)),
        window=parse_window(data.get("window", "1d")),
        working_days_only=_typed(data, "working_days_only", bool, False),
        holidays=country,
        holidays_subdivision=subdivision,
        charts=_typed(data, "charts", bool, True),
        html=_typed(data, "html", bool, True),
        grace=timedelta(hours=grace),
    )
