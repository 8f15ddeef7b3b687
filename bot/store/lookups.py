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
    session: Session, user_id: str, query: str, guideline: str | None = None, anchor: str | None = None
) -> None:
    """Remember a question for the user's App Home."""
    session.add(Lookup(user_id=user_id, query=query, guideline=guideline, anchor=anchor))


def recent_lookups(session: Session, user_id: str, limit: int = RECENT_LOOKUPS) -> list[RecentLookup]:
    """The user's latest questions, newest first."""
    rows = session.scalars(
        select(Lookup)
        .where(Lookup.user_id == user_id)
        .order_by(Lookup.created_at.desc(), Lookup.id.desc())
        .limit(limit)
    )
    return [RecentLookup(r.query, r.guideline, r.anchor, r.created_at) for r in rows]
