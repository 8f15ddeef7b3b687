"""Slack deliveries already handled: the first delivery of an event id or a signed request wins.

Each claim is its own short transaction with a unique key (INSERT … ON CONFLICT DO NOTHING), so
replicas sharing the database agree on who acts without locks held across a request.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.store.db import session_scope
from bot.store.models.slack import SlackEvent, SlackRequest


def _insert(engine: Engine) -> Any:
    return sqlite_insert if engine.dialect.name == "sqlite" else pg_insert


def claim_event(engine: Engine, event_id: str) -> bool:
    """Record an Events API delivery in its own transaction; False if it was seen before (any replica)."""
    stmt = (
        _insert(engine)(SlackEvent)
        .values(event_id=event_id)
        .on_conflict_do_nothing(index_elements=["event_id"])
        # RETURNING, not rowcount: a row comes back only when this call inserted it.
        .returning(SlackEvent.event_id)
    )
    with session_scope(engine) as session:
        return session.execute(stmt).scalar_one_or_none() is not None


def claim_request(engine: Engine, key: str, signed_at: datetime) -> bool:
    """Record a signed command or interaction by `key`; False if it was handled before (any replica)."""
    stmt = (
        _insert(engine)(SlackRequest)
        .values(key=key, signed_at=signed_at)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(SlackRequest.key)
    )
    with session_scope(engine) as session:
        return session.execute(stmt).scalar_one_or_none() is not None


def prune_requests(engine: Engine, signed_before: datetime) -> int:
    """Forget requests signed before `signed_before` (their replays are refused as too old anyway)."""
    with session_scope(engine) as session:
        result = session.execute(delete(SlackRequest).where(SlackRequest.signed_at < signed_before))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
