"""Slack deliveries already handled: the first delivery of an event id wins, on any replica."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.store.db import session_scope
from bot.store.models.slack import SlackEvent


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
