"""Which guideline a `/guide` or `@annobot` question is assumed to be about (issue 15 item 3).

Read from the store and the config only, never from process memory: any replica answers the next
question of a thread or a DM alike. The ranking it feeds is pure (guidelines/search/context.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.store.lookups import last_thread_guideline, last_user_guideline
from bot.store.models.annotations import Project
from bot.store.models.guidelines import Guideline
from guidelines.search.context import Assumed

# Slack ids as Slack sends them (C…, G…, D…); anything else is not a place to remember or look up.
_CHANNEL = re.compile(r"[A-Z0-9]{2,32}")
_THREAD_TS = re.compile(r"\d{1,16}\.\d{1,8}")

# (project name, guideline slug, channel ids): a config `[[projects]]` table as plain data, so that it
# crosses into a worker process.
ProjectChannels = tuple[str, str, tuple[str, ...]]


@dataclass(frozen=True)
class Place:
    """Where a question was asked: a channel or DM id, and the thread an answer goes to ("" if none)."""

    channel: str = ""
    thread_ts: str = ""

    @classmethod
    def of(cls, channel: object, thread_ts: object = "") -> Place:
        """A place from request fields; malformed ids count as absent."""
        ch = channel if isinstance(channel, str) and _CHANNEL.fullmatch(channel) else ""
        ts = thread_ts if isinstance(thread_ts, str) and _THREAD_TS.fullmatch(thread_ts) else ""
        return cls(ch, ts if ch else "")

    @property
    def is_dm(self) -> bool:
        """True for a direct message with the bot (ids D…)."""
        return self.channel.startswith("D")


def config_projects(projects: Sequence[object]) -> tuple[ProjectChannels, ...]:
    """`[[projects]]` of the config (ProjectConfig) as plain data."""
    return tuple((p.name, p.guideline, tuple(p.channels)) for p in projects)  # type: ignore[attr-defined]


def named_guideline(session: Session, slug: str) -> tuple[str, str] | None:
    """(slug, title) of the guideline with this slug, case-insensitive, or None."""
    row = session.execute(
        select(Guideline.slug, Guideline.title).where(func.lower(Guideline.slug) == slug.lower()[:64])
    ).first()
    return (row[0], row[1]) if row else None


def channel_project(
    session: Session, channel: str, projects: Sequence[ProjectChannels] = ()
) -> tuple[str, str] | None:
    """(project, guideline) of the channel: from the config, else from `annobot projects add`.

    None when no project lists the channel, or when its projects use different guidelines (which one
    was meant cannot be told).
    """
    if not channel:
        return None
    named = {name for name, _g, _c in projects}
    listed = [(name, g) for name, g, channels in projects if channel in channels]
    stored = session.execute(select(Project.name, Project.guideline, Project.channels).order_by(Project.name))
    listed += [(name, g) for name, g, channels in stored if name not in named and channel in (channels or [])]
    if not listed or len({g for _n, g in listed}) > 1:
        return None
    return listed[0]


def assumed_guideline(
    session: Session,
    *,
    user_id: str,
    place: Place,
    named: str | None = None,
    projects: Sequence[ProjectChannels] = (),
) -> Assumed | None:
    """The guideline to rank first: named in the question, else the thread's last answer, else the
    channel's project, else (in a DM) the user's last question that found a section; None if none.

    Only a guideline that exists is assumed.
    """
    if named:
        found = named_guideline(session, named)
        if found:
            return Assumed(found[0], found[1], "named", channel=place.channel)
    if place.channel and place.thread_ts:
        slug = last_thread_guideline(session, place.channel, place.thread_ts)
        found = named_guideline(session, slug) if slug else None
        if found:
            return Assumed(found[0], found[1], "thread", channel=place.channel)
    if place.channel and not place.is_dm:
        project = channel_project(session, place.channel, projects)
        found = named_guideline(session, project[1]) if project else None
        if project and found:
            return Assumed(found[0], found[1], "project", project=project[0], channel=place.channel)
    if place.is_dm and user_id:
        slug = last_user_guideline(session, user_id)
        found = named_guideline(session, slug) if slug else None
        if found:
            return Assumed(found[0], found[1], "dm", channel=place.channel)
    return None
