"""Users' recent guideline lookups (App Home)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store.models.slack import Lookup

RECENT_LOOKUPS = 10


@dataclass(frozen=True)
class RecentLookup:
    """One of a user's recent questions."""

    query: str
    guideline: str | None
    anchor: str | None
    created_at: datetime


def record_lookup(
    session: Session,
    user_id: str,
    query: str,
    guideline: str | None = None,
    anchor: str | None = None,
    *,
    channel: str | None = None,
    thread_ts: str | None = None,
    hits: list[list[str]] | None = None,
) -> int:
    """Remember a question for the user's App Home, and where it was asked and answered; its id, which
    the answer's feedback buttons carry."""
    row = Lookup(
        user_id=user_id,
        query=query,
        guideline=guideline,
        anchor=anchor,
        channel=channel,
        thread_ts=thread_ts,
        hits=hits,
    )
    session.add(row)
    session.flush()
    return row.id


def last_user_guideline(session: Session, user_id: str) -> str | None:
    """The guideline of the user's latest question that found a section, anywhere."""
    return session.scalars(
        select(Lookup.guideline)
        .where(Lookup.user_id == user_id, Lookup.guideline.is_not(None))
        .order_by(Lookup.created_at.desc(), Lookup.id.desc())
        .limit(1)
    ).first()


def last_thread_guideline(session: Session, channel: str, thread_ts: str) -> str | None:
    """The guideline of the latest answer that found a section in this thread, by anyone."""
    return session.scalars(
        select(Lookup.guideline)
        .where(Lookup.channel == channel, Lookup.thread_ts == thread_ts, Lookup.guideline.is_not(None))
        .order_by(Lookup.created_at.desc(), Lookup.id.desc())
        .limit(1)
    ).first()


def recent_lookups(session: Session, user_id: str, limit: int = RECENT_LOOKUPS) -> list[RecentLookup]:
    """The user's latest questions, newest first."""
    rows = session.scalars(
        select(Lookup)
        .where(Lookup.user_id == user_id)
        .order_by(Lookup.created_at.desc(), Lookup.id.desc())
        .limit(limit)
    )
    return [RecentLookup(r.query, r.guideline, r.anchor, r.created_at) for r in rows]
