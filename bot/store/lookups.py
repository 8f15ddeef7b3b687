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
    hits: list[list[str]] | None = None,
) -> int:
    """Remember a question (App Home, feedback); its id, which the answer's feedback buttons carry."""
    row = Lookup(user_id=user_id, query=query, guideline=guideline, anchor=anchor, channel=channel, hits=hits)
    session.add(row)
    session.flush()
    return row.id


def recent_lookups(session: Session, user_id: str, limit: int = RECENT_LOOKUPS) -> list[RecentLookup]:
    """The user's latest questions, newest first."""
    rows = session.scalars(
        select(Lookup)
        .where(Lookup.user_id == user_id)
        .order_by(Lookup.created_at.desc(), Lookup.id.desc())
        .limit(limit)
    )
    return [RecentLookup(r.query, r.guideline, r.anchor, r.created_at) for r in rows]
