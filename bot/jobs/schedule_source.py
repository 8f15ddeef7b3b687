"""Every digest schedule, wherever it is defined: the config's `[[digests]]` and those added from Slack.

The one accessor of schedules: the tick, `post_now`, `preview`, `find_schedule`, the CLI and
`/quality schedule list` all read them here. Config entries come first and are read-only from Slack;
a stored schedule whose name the config took since (the config was edited after the add) is left out,
logged: the config wins. A stored schedule that no longer validates (a holiday calendar the
`holidays` package dropped) is left out, logged, rather than failing every tick.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy.orm import Session

from bot.config import Config
from bot.errors import NotFoundError
from bot.store import digest_schedules as stored
from reports.schedule.errors import ScheduleError
from reports.schedule.model import Schedule, schedule_from_mapping

log = logging.getLogger("annobot.schedule")
_warned: set[str] = set()  # each left-out schedule is logged once per process, not at every tick


def _warn_once(name: str, message: str, *args: object) -> None:
    if name not in _warned:
        _warned.add(name)
        log.warning(message, *args)


Source = Literal["config", "slack"]
# Recorded as the reason of a run due while its schedule was paused.
PAUSED_REASON = "the schedule was paused"


@dataclass(frozen=True)
class ScheduleEntry:
    """A schedule with where it comes from; only Slack-added ones can be paused, or are ever."""

    schedule: Schedule
    source: Source
    paused: bool = False
    # Runs due at or before it are not this schedule's to post: it did not exist, or was paused then.
    active_since: datetime | None = None
    created_by: str | None = None

    @property
    def read_only(self) -> bool:
        """Whether Slack may not change it (it is in the config file)."""
        return self.source == "config"

    def live(self, dues: tuple[datetime, ...]) -> tuple[datetime, ...]:
        """The due instants after `active_since` (all of them for a config schedule)."""
        since = self.active_since
        return dues if since is None else tuple(d for d in dues if d > since)


def from_stored(row: stored.StoredSchedule, default_timezone: str) -> Schedule:
    """The stored row as a Schedule (ScheduleError when it no longer validates)."""
    return schedule_from_mapping({**row.fields, "name": row.name}, default_timezone)


def all_schedules(session: Session, config: Config) -> list[ScheduleEntry]:
    """Config schedules, then the stored ones (one read of the small digest_schedules table)."""
    return combine(session, config.digests, config.reports.timezone)


def combine(session: Session, configured: Sequence[Schedule], default_timezone: str) -> list[ScheduleEntry]:
    """`configured` (the config's schedules), then the stored ones, whose zone defaults to `default_timezone`."""
    entries = [ScheduleEntry(s, "config") for s in configured]
    taken = {s.name for s in configured}
    for row in stored.list_schedules(session):
        if row.name in taken:
            _warn_once(
                row.name, "schedule %r added from Slack is hidden: the config defines one so named", row.name
            )
            continue
        try:
            schedule = from_stored(row, default_timezone)
        except ScheduleError as exc:
            _warn_once(row.name, "schedule %r added from Slack is off: %s", row.name, exc)
            continue
        entries.append(ScheduleEntry(schedule, "slack", row.paused, row.active_since, row.created_by))
    return entries


def find_entry(session: Session, config: Config, name: str) -> ScheduleEntry:
    """The schedule `name`; NotFoundError naming the existing ones."""
    entries = all_schedules(session, config)
    for entry in entries:
        if entry.schedule.name == name:
            return entry
    names = ", ".join(e.schedule.name for e in entries) or "none"
    raise NotFoundError(f"no schedule named {name!r} (schedules: {names})")
