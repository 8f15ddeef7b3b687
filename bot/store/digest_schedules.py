"""Digest schedules added from Slack: add, pause or resume, remove, and the tick's one read of them all.

The table is small (a few schedules per project), so the scheduler reads it whole once per tick
(`list_schedules`) beside its one indexed query over digest_runs. `fields` holds the mapping
`reports.schedule.model.schedule_from_mapping` validated, without the name (its own unique column);
the caller validates before storing and again when reading (a field the code no longer accepts
turns the schedule off, logged, instead of failing every tick).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.errors import ConflictError
from bot.store.models.digest_schedules import DigestSchedule


@dataclass(frozen=True)
class StoredSchedule:
    """One stored schedule (datetimes aware, UTC)."""

    name: str
    fields: dict[str, Any]
    paused: bool
    active_since: datetime
    created_by: str
    created_at: datetime
    updated_at: datetime


def _utc(dt: datetime) -> datetime:
    if dt.tzinfo is None:
        raise ValueError(f"expected a timezone-aware datetime, got {dt!r}")
    return dt.astimezone(UTC)


def _read(dt: datetime) -> datetime:
    # SQLite hands back naive datetimes; they are UTC.
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def _stored(row: DigestSchedule) -> StoredSchedule:
    return StoredSchedule(
        name=row.name,
        fields=dict(row.fields),
        paused=row.paused,
        active_since=_read(row.active_since),
        created_by=row.created_by,
        created_at=_read(row.created_at),
        updated_at=_read(row.updated_at),
    )


def _insert(session: Session) -> Any:
    return sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert


def list_schedules(session: Session) -> list[StoredSchedule]:
    """Every stored schedule by name: the tick's one read of this (small) table."""
    return [_stored(r) for r in session.scalars(select(DigestSchedule).order_by(DigestSchedule.name))]


def get_schedule(session: Session, name: str) -> StoredSchedule | None:
    """The stored schedule `name`, or None."""
    row = session.scalars(select(DigestSchedule).where(DigestSchedule.name == name)).one_or_none()
    return None if row is None else _stored(row)


def add_schedule(
    session: Session, name: str, fields: dict[str, Any], created_by: str, now: datetime
) -> StoredSchedule:
    """Store a new schedule, active from `now`; ConflictError when the name is taken."""
    now = _utc(now)
    values = {
        "name": name,
        "fields": fields,
        "paused": False,
        "active_since": now,
        "created_by": created_by,
        "created_at": now,
        "updated_at": now,
    }
    # ON CONFLICT DO NOTHING, not a savepoint (whose RELEASE commits on pysqlite): a concurrent add of
    # the name inserts nothing here, and the caller's transaction (its audit row) stays usable.
    inserted = session.execute(
        _insert(session)(DigestSchedule)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["name"])
        .returning(DigestSchedule.id)
    ).scalar_one_or_none()
    if inserted is None:
        raise ConflictError(f"a schedule named {name!r} exists already")
    return StoredSchedule(
        name=name,
        fields=dict(fields),
        paused=False,
        active_since=now,
        created_by=created_by,
        created_at=now,
        updated_at=now,
    )


def set_paused(session: Session, name: str, paused: bool, now: datetime) -> bool:
    """Pause or resume `name`; False when it does not exist or is so already.

    Resuming moves `active_since` to `now`: runs due while it was paused are never posted late.
    """
    now = _utc(now)
    values: dict[str, Any] = {"paused": paused, "updated_at": now}
    if not paused:
        values["active_since"] = now
    done = session.execute(
        update(DigestSchedule)
        .where(DigestSchedule.name == name, DigestSchedule.paused.is_(not paused))
        .values(**values)
        .returning(DigestSchedule.id)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    return done is not None


def remove_schedule(session: Session, name: str) -> bool:
    """Delete `name` (its runs stay in the history); False when it does not exist."""
    done = session.execute(
        delete(DigestSchedule)
        .where(DigestSchedule.name == name)
        .returning(DigestSchedule.id)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    return done is not None
