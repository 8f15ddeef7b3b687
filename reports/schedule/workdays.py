"""Working days: weekends and public holidays from the `holidays` package (rules, no I/O), cached."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import holidays as _holidays

from reports.schedule.errors import ScheduleError


def check_calendar(country: str, subdivision: str | None) -> None:
    """Raise ScheduleError("holidays"/"holidays_subdivision") unless the package knows the calendar."""
    supported = _holidays.list_supported_countries()
    if country not in supported:
        raise ScheduleError(
            "holidays", f"{country!r} is not a country code of the holidays package (e.g. DE, FR, US, GB)"
        )
    if subdivision is not None and subdivision not in supported[country]:
        known = ", ".join(supported[country]) or "none"
        raise ScheduleError(
            "holidays_subdivision", f"{subdivision!r} is not a subdivision of {country} (known: {known})"
        )


@lru_cache(maxsize=256)
def _days(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    return frozenset(_holidays.country_holidays(country, subdiv=subdivision, years=year))


def is_holiday(day: date, country: str | None, subdivision: str | None = None) -> bool:
    """Whether `day` is a public holiday of the calendar (never, without a country)."""
    return country is not None and day in _days(country, subdivision, day.year)


def is_working_day(day: date, country: str | None, subdivision: str | None = None) -> bool:
    """Monday to Friday and not a public holiday of the calendar."""
    return day.weekday() < 5 and not is_holiday(day, country, subdivision)
