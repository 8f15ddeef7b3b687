"""Store queries for the Slack bot: event dedupe and recent lookups."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.store.db import session_scope
from bot.store.models_slack import Lookup, SlackEvent

RECENT_LOOKUPS = 10


@dataclass(frozen=True)
class RecentLookup:
    """One of a user's recent questions."""

    query: str
    guideline: str | None
    anchor: str | None
    created_at: datetime


def claim_event(engine: Engine, event_id: str) -> bool:
    """Record an Events API delivery in its own transaction; False if it was seen before (any replica)."""
    insert = sqlite_insert if engine.dialect.name == "sqlite" else pg_insert
    stmt = (
        insert(SlackEvent)
        .values(event_id=event_id)
        .on_conflict_do_nothing(index_elements=["event_id"])
        # RETURNING, not rowcount: a row comes back only when this call inserted it.
        .returning(SlackEvent.event_id)
    )
    with session_scope(engine) as session:
        return session.execute(stmt).scalar_one_or_none() is not None


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
