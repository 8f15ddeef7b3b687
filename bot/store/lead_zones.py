"""The leads' Slack time zones (`lead_zones`): read in one query for all leads, written by upsert.

Any replica may refresh a row; racing refreshes both write what Slack said, so the last one wins and
nothing depends on which. Datetimes are stored in UTC (SQLite hands them back naive: UTC).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.store.models.lead_zones import LeadZone


@dataclass(frozen=True)
class Zone:
    """A cached answer: the zone (None: none usable), whether the user can get a DM, when to ask again."""

    user_id: str
    tz: str | None
    active: bool
    expires_at: datetime


def _utc(dt: datetime) -> datetime:
    if dt.tzinfo is None:
        raise ValueError(f"expected a timezone-aware datetime, got {dt!r}")
    return dt.astimezone(UTC)


def _read(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def _insert(session: Session) -> Any:
    return sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert


def read(session: Session, users: Collection[str]) -> dict[str, Zone]:
    """The cached zones of `users` (stale ones included), by user id: one query over the primary key."""
    if not users:
        return {}
    rows = session.scalars(select(LeadZone).where(LeadZone.user_id.in_(sorted(set(users)))))
    return {r.user_id: Zone(r.user_id, r.tz, r.active, _read(r.expires_at)) for r in rows}


def save(
    session: Session, user_id: str, tz: str | None, active: bool, now: datetime, expires: datetime
) -> None:
    """Record what Slack said of the user (insert or replace)."""
    values = {
        "user_id": user_id,
        "tz": tz,
        "active": active,
        "checked_at": _utc(now),
        "expires_at": _utc(expires),
    }
    stmt = _insert(session)(LeadZone).values(**values)
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["user_id"],
            set_={k: stmt.excluded[k] for k in ("tz", "active", "checked_at", "expires_at")},
        )
    )


def postpone(session: Session, user_id: str, now: datetime, expires: datetime) -> None:
    """Slack could not tell: keep what is cached (or cache "no zone, active") and ask again at `expires`."""
    stmt = _insert(session)(LeadZone).values(
        user_id=user_id, tz=None, active=True, checked_at=_utc(now), expires_at=_utc(expires)
    )
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["user_id"],
            set_={"checked_at": stmt.excluded.checked_at, "expires_at": stmt.excluded.expires_at},
        )
    )
