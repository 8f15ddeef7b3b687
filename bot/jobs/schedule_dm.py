"""The `leads-dm` target: each lead gets the digest in a DM at the schedule's local time in their own zone.

Who: the `leads` of the schedule's projects in the config (bot/authz: user ids, and the members of the
user groups listed there), individual users only, each once per schedule. Managers are not DMed unless
they are listed under `leads` too: the DM is the morning digest of the people who work the queue.

Where each lead is: `users.info`'s `tz`, cached in the store (`lead_zones`, shared by every replica)
and asked again after ZONE_TTL. A zone Slack does not give (none, not an IANA name) is the schedule's
own; when Slack cannot be asked (error, timeout) the cached zone stays, or the schedule's when none is
cached, and Slack is asked again after ZONE_ERROR_TTL: a run is never held up by users.info. A
deactivated user or a bot gets no DM: its runs are recorded skipped, saying so.

When: the schedule evaluated in the lead's zone (`Schedule` with that `timezone`): the cron's local
times, and the working days and the holiday calendar (the schedule's country) on the lead's local day.
Each (schedule, lead, due instant) is a run of its own, `NAME@YYYY-MM-DDTHH:MMZ/dm:USER`, claimed,
caught up, skipped, retried and recorded exactly like a channel run (bot/jobs/schedule.py runs them).
A lead whose zone changes gets the runs of the new zone from then on (catch-up applies to them).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy import Engine

from bot.authz.roles import Members
from bot.config import SLACK_GROUP_ID, SLACK_USER_ID, Config
from bot.store import lead_zones
from bot.store import schedules as runs_store
from bot.store.db import session_scope
from reports.schedule.due import Action, catch_up, due_times, run_key
from reports.schedule.model import LEADS_DM, Schedule

log = logging.getLogger("annobot.schedule")

DM_KEY = "/dm:"
ZONE_TTL = timedelta(hours=24)  # a lead who moves gets the new zone's digests within a day
ZONE_ERROR_TTL = timedelta(hours=1)  # Slack failed: the cached (or schedule's) zone meanwhile
MAX_ZONE = 64  # the lead_zones.tz column; IANA names are far shorter


def dm_key(schedule: Schedule, due: datetime, user: str) -> str:
    """`NAME@YYYY-MM-DDTHH:MMZ/dm:USER`: the key of one lead's run (at most 40+18+4+31 = 93 characters)."""
    return f"{run_key(schedule, due)}{DM_KEY}{user}"


def is_dm(key: str) -> bool:
    """Whether a run key is a lead's DM run (`dm_key`)."""
    return DM_KEY in key


def lead_ids(config: Config, schedule: Schedule, members: Members) -> tuple[str, ...]:
    """The individual users among the `leads` of the schedule's projects, groups expanded, each once."""
    projects = {p.name: p for p in config.projects}
    found: dict[str, None] = {}
    for name in schedule.projects:
        project = projects.get(name)
        for entry in project.leads if project is not None else ():
            if SLACK_USER_ID.fullmatch(entry):
                found[entry] = None
            elif SLACK_GROUP_ID.fullmatch(entry):
                for member in sorted(members(entry)):
                    if isinstance(member, str) and SLACK_USER_ID.fullmatch(member):
                        found[member] = None
    return tuple(found)


def valid_zone(value: Any) -> str | None:
    """`value` when it is an IANA zone name this machine knows, else None (never raises)."""
    if not isinstance(value, str) or not 0 < len(value) <= MAX_ZONE or "\x00" in value:
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None
    return value


def _ask_slack(client: WebClient, user: str) -> tuple[str | None, bool] | None:
    """(zone or None, active) from users.info; None when Slack could not tell."""
    try:
        answer = client.users_info(user=user)
    except SlackApiError as exc:
        error = exc.response.get("error") if exc.response is not None else None
        if error == "user_not_found":
            return None, False
        log.warning("users.info for lead %s answered %s: keeping the cached zone", user, error)
        return None
    except (SlackClientError, OSError, ValueError) as exc:
        log.warning("users.info for lead %s failed (%s): keeping the cached zone", user, type(exc).__name__)
        return None
    record = answer.get("user")
    if not isinstance(record, Mapping):
        return None
    active = record.get("deleted") is not True and record.get("is_bot") is not True
    return valid_zone(record.get("tz")), active


def zones(
    engine: Engine, client: WebClient, users: Collection[str], now: datetime
) -> dict[str, lead_zones.Zone]:
    """Each user's cached zone, users.info asked for those missing or expired (one read for all).

    After one failed ask the others due are postponed with it, unasked: an outage costs one call (with
    the client's bounded retries) per ZONE_ERROR_TTL, not one per lead.
    """
    with session_scope(engine) as session:
        cached = lead_zones.read(session, users)
    failed = False
    for user in sorted(set(users)):
        entry = cached.get(user)
        if entry is not None and now < entry.expires_at:
            continue
        said = None if failed else _ask_slack(client, user)
        failed = said is None
        with session_scope(engine) as session:
            if said is None:
                lead_zones.postpone(session, user, now, now + ZONE_ERROR_TTL)
            else:
                lead_zones.save(session, user, said[0], said[1], now, now + ZONE_TTL)
        if said is None:
            tz, active = (entry.tz, entry.active) if entry is not None else (None, True)
            cached[user] = lead_zones.Zone(user, tz, active, now + ZONE_ERROR_TTL)
        else:
            cached[user] = lead_zones.Zone(user, said[0], said[1], now + ZONE_TTL)
    return cached


def in_zone(schedule: Schedule, tz: str | None) -> Schedule:
    """The schedule evaluated in `tz` (its own zone when None): cron times, working days, holidays."""
    if tz is None or tz == schedule.timezone:
        return schedule
    return dataclasses.replace(schedule, timezone=tz)


@dataclass(frozen=True)
class DmRun:
    """One lead's run to do at this tick: post it (late or not), or record it skipped with the reason."""

    schedule: Schedule  # in the lead's zone: the due instant and the digest's times are theirs
    user: str
    key: str
    due: datetime
    late: bool
    skip: str | None = None


def plan(
    config: Config,
    schedules: Sequence[Schedule],
    engine: Engine,
    client: WebClient,
    now: datetime,
    recorded: Mapping[str, runs_store.Run],
    lookback: Callable[[Schedule], timedelta],
    members: Members,
) -> list[DmRun]:
    """The lead runs of the `leads-dm` schedules to do at `now`, given the runs recorded in the look-back."""
    wanted = [s for s in schedules if LEADS_DM in s.targets]
    leads = {s.name: lead_ids(config, s, members) for s in wanted}
    known = zones(engine, client, {u for users in leads.values() for u in users}, now) if wanted else {}
    out: list[DmRun] = []
    for schedule in wanted:
        for user in leads[schedule.name]:
            entry = known.get(user)
            zoned = in_zone(schedule, entry.tz if entry is not None else None)
            active = entry is None or entry.active
            out += _lead_runs(zoned, user, active, now, recorded, lookback(schedule))
    return out


def _lead_runs(
    zoned: Schedule,
    user: str,
    active: bool,
    now: datetime,
    recorded: Mapping[str, runs_store.Run],
    lookback: timedelta,
) -> list[DmRun]:
    dues = due_times(zoned, now - lookback, now)
    keys = {due: dm_key(zoned, due, user) for due in dues}
    out: list[DmRun] = []
    for decision in catch_up(zoned, [d for d in dues if keys[d] not in recorded], now):
        key = keys[decision.due]
        if not active:
            out.append(
                DmRun(zoned, user, key, decision.due, True, f"{user} is deactivated or a bot in Slack")
            )
        elif decision.action is Action.SKIP:
            out.append(DmRun(zoned, user, key, decision.due, True, decision.reason or "skipped"))
        else:
            out.append(DmRun(zoned, user, key, decision.due, decision.action is Action.POST_LATE))
    for due in dues:
        run = recorded.get(keys[due])
        # As for channel runs: claim() decides whether the lease ran out and attempts remain.
        if active and run is not None and run.status in ("failed", "claimed") and run.message_ts is None:
            out.append(DmRun(zoned, user, run.run_key, due, run.late))
    return out


def previous_due(session: Any, run: DmRun) -> datetime | None:
    """`since-last`: the due instant of this lead's latest posted run of the schedule before this one."""
    return runs_store.latest_posted_due(session, run.schedule.name, run.due, f"{DM_KEY}{run.user}")
