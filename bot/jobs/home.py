"""The App Home view of a user, and the scheduled digests it lists: worker jobs."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.jobs.schedule import is_on_demand
from bot.jobs.schedule_dm import DM_KEY
from bot.jobs.schedule_source import combine
from bot.slack.home.builder import (
    CASES_SHOWN,
    SCHEDULES_SHOWN,
    DigestsPart,
    LastRun,
    LeadCases,
    ScheduleCard,
    SendOutcome,
    home_view,
)
from bot.store.db import session_scope
from bot.store.flags import list_cases
from bot.store.guidelines import list_guidelines
from bot.store.lookups import recent_lookups
from bot.store.schedules import Run, get_run, latest_runs
from reports.schedule.model import LEADS_DM, Schedule
from reports.schedule.upcoming import next_due


def digest_schedules(
    session: Session, configured: Sequence[Schedule], default_timezone: str
) -> tuple[Schedule, ...]:
    """The schedules the Home tab lists and its Preview / Send now buttons act on.

    The config's `[[digests]]` (`configured`, read-only from Slack), then those added with
    `/quality schedule add` (bot/jobs/schedule_source.py, the one accessor of schedules).
    """
    return tuple(e.schedule for e in combine(session, configured, default_timezone))


@dataclass(frozen=True)
class DigestsRequest:
    """What the Home tab's digest part needs from the edge (picklable, for a worker process).

    `postable`: the projects whose digests the user may post (Action.DIGEST_POST, decided at the
    edge); a schedule is listed when it names one of them, and may be sent when it names only them.
    """

    configured: tuple[Schedule, ...]
    postable: frozenset[str]
    workspace_url: str | None = None
    outcome: SendOutcome | None = None
    default_timezone: str = "UTC"  # of schedules added from Slack without one


def visible_schedules(schedules: Sequence[Schedule], postable: Collection[str]) -> list[Schedule]:
    """The schedules a user sees on the Home tab: those naming a project whose digests they may post."""
    return [s for s in schedules if any(p in postable for p in s.projects)]


def _last(run: Run | None) -> LastRun | None:
    if run is None:
        return None
    return LastRun(
        status=run.status,
        due=run.due,
        on_demand=is_on_demand(run.run_key),
        posted_at=run.posted_at,
        channel=run.message_channel,
        ts=run.message_ts,
        reason=run.reason,
        attempts=run.attempts,
    )


def _digests_part(
    session: Session, user_id: str, request: DigestsRequest, now: datetime
) -> DigestsPart | None:
    visible = visible_schedules(
        digest_schedules(session, request.configured, request.default_timezone), request.postable
    )
    if not visible:
        return None
    shown = visible[:SCHEDULES_SHOWN]  # the others are counted, not computed
    names = [s.name for s in shown]
    # One query for the last channel run of every schedule shown, one for the user's own DM runs
    # (another lead's DM is theirs: neither shown nor linked).
    runs = latest_runs(session, names, without_key_part=DM_KEY)
    dm_names = [s.name for s in shown if LEADS_DM in s.targets]
    own = latest_runs(session, dm_names, key_suffix=f"{DM_KEY}{user_id}") if dm_names else {}
    cards = []
    for s in shown:
        not_led = tuple(p for p in s.projects if p not in request.postable)
        cards.append(
            ScheduleCard(
                name=s.name,
                projects=s.projects,
                targets=s.targets,
                cron=s.cron.expr,
                timezone=s.timezone,
                next_due=next_due(s, now),
                last=_last(runs.get(s.name)),
                dm=LEADS_DM in s.targets,
                last_dm=_last(own.get(s.name)),
                may_send=not not_led,
                not_led=not_led,
            )
        )
    return DigestsPart(tuple(cards), len(visible) - len(shown), now, request.workspace_url, request.outcome)


def home_view_job(
    engine: Engine,
    user_id: str,
    lead_projects: Sequence[str] = (),
    now: datetime | None = None,
    digests: DigestsRequest | None = None,
) -> dict[str, Any]:
    """The user's Home tab: guidelines, recent lookups and, for a lead, open flag cases and schedules.

    `lead_projects`: the projects whose flag queue the user may see (the edge decides);
    `digests`: the schedules and the projects whose digests the user may post (the edge decides).
    """
    moment = now or datetime.now(UTC)
    with session_scope(engine) as session:
        summaries = list_guidelines(session)
        current = {g.slug: g.current_version for g in summaries}
        lookups = recent_lookups(session, user_id)
        cases = []
        for project in lead_projects:
            cases += list_cases(session, project=project, status=("open", "assigned"))
        part = _digests_part(session, user_id, digests, moment) if digests is not None else None
    cases.sort(key=lambda c: (c.opened_at, c.id))
    lead = None
    if lead_projects:
        oldest = tuple(
            (c.id, c.project, c.item_id, c.opened_at, c.assignee, len(c.flags)) for c in cases[:CASES_SHOWN]
        )
        lead = LeadCases(tuple(lead_projects), len(cases), oldest, now)
    return home_view(
        [(g.slug, g.title, g.current_version, g.published_at, g.versions) for g in summaries],
        [(lk.query, lk.guideline, current.get(lk.guideline or ""), lk.anchor) for lk in lookups],
        lead,
        part,
    )


def home_schedule(
    engine: Engine, configured: Sequence[Schedule], name: str, default_timezone: str = "UTC"
) -> Schedule | None:
    """The Home tab's schedule `name` (`digest_schedules`), or None."""
    with session_scope(engine) as session:
        schedules = digest_schedules(session, configured, default_timezone)
    return next((s for s in schedules if s.name == name), None)


def send_outcome(engine: Engine, schedule: str, key: str | None) -> SendOutcome:
    """What the run `key` of a Send now came to (None: nothing was claimed, another click holds it)."""
    if key is None:
        return SendOutcome(schedule, "busy")
    with session_scope(engine) as session:
        run = get_run(session, key)
    if run is None:
        return SendOutcome(schedule, "failed", reason="the run was not recorded")
    return SendOutcome(schedule, run.status, run.message_channel, run.message_ts, run.reason)
