"""Runs of digest schedules: claimed once across replicas, taken over after a lease, posted once.

- One row per run key (`uq_digest_runs_run_key`): `claim` inserts it with ON CONFLICT DO NOTHING, so of
  any number of replicas (or threads) exactly one gets the row back.
- A `claimed` or `failed` run whose lease has run out and that has no message is taken over by one
  conditional UPDATE: PostgreSQL re-checks the WHERE on the row it locked (READ COMMITTED), SQLite
  serialises writers, so of racing takeovers one matches and the others update nothing.
- A run with a message (`posted`, `late-posted`) or `skipped` is final: nothing claims it again.
- `mark_posted` records the message once: a second call (a retry, or a replica whose lease was taken
  over and that posted too) changes nothing and returns False, so the caller knows its post is a double.
Every datetime is stored in UTC (SQLite keeps naive text; comparisons need one zone).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.store.models.schedules import DigestRun

# Statuses a run can be taken over from once its lease has run out.
_RETRYABLE = ("claimed", "failed")


@dataclass(frozen=True)
class Run:
    """One run as stored (datetimes aware, UTC)."""

    run_key: str
    schedule: str
    due: datetime
    status: str
    late: bool
    claimed_by: str | None
    claimed_at: datetime | None
    lease_until: datetime | None
    attempts: int
    posted_at: datetime | None
    message_channel: str | None
    message_ts: str | None
    reason: str | None


def _utc(dt: datetime) -> datetime:
    if dt.tzinfo is None:
        raise ValueError(f"expected a timezone-aware datetime, got {dt!r}")
    return dt.astimezone(UTC)


def _read(dt: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; they are UTC.
    if dt is None:
        return None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def _run(row: DigestRun) -> Run:
    return Run(
        run_key=row.run_key,
        schedule=row.schedule,
        due=_read(row.due),  # type: ignore[arg-type]
        status=row.status,
        late=row.late,
        claimed_by=row.claimed_by,
        claimed_at=_read(row.claimed_at),
        lease_until=_read(row.lease_until),
        attempts=row.attempts,
        posted_at=_read(row.posted_at),
        message_channel=row.message_channel,
        message_ts=row.message_ts,
        reason=row.reason,
    )


def _insert(session: Session) -> Any:
    return sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert


def get_run(session: Session, key: str) -> Run | None:
    """The run of this key, or None."""
    row = session.scalars(select(DigestRun).where(DigestRun.run_key == key)).one_or_none()
    return None if row is None else _run(row)


def claim(
    session: Session,
    key: str,
    replica: str,
    now: datetime,
    lease: timedelta,
    *,
    schedule: str,
    due: datetime,
    late: bool = False,
    max_attempts: int | None = None,
) -> Run | None:
    """Claim the run `key` for `replica` until now + lease; the claimed run, or None if another holds it.

    A new key is inserted; an existing `claimed`/`failed` run without a message is taken over once its
    lease has run out (and, with `max_attempts`, while fewer attempts were made); never a posted or
    skipped run. The claim is part of the caller's transaction: it holds once that commits.
    """
    now = _utc(now)
    values = {
        "run_key": key,
        "schedule": schedule,
        "due": _utc(due),
        "status": "claimed",
        "late": late,
        "claimed_by": replica,
        "claimed_at": now,
        "lease_until": now + lease,
        "attempts": 1,
        "updated_at": now,
    }
    inserted = session.execute(
        _insert(session)(DigestRun)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["run_key"])
        # RETURNING, not rowcount: a row comes back only when this call inserted it.
        .returning(DigestRun.id)
    ).scalar_one_or_none()
    if inserted is None:
        conditions = [
            DigestRun.run_key == key,
            DigestRun.status.in_(_RETRYABLE),
            DigestRun.message_ts.is_(None),
            DigestRun.lease_until < now,
        ]
        if max_attempts is not None:
            conditions.append(DigestRun.attempts < max_attempts)
        taken = session.execute(
            update(DigestRun)
            .where(*conditions)
            .values(
                status="claimed",
                late=late,
                claimed_by=replica,
                claimed_at=now,
                lease_until=now + lease,
                attempts=DigestRun.attempts + 1,
                updated_at=now,
            )
            .returning(DigestRun.id)
            .execution_options(synchronize_session=False)
        ).scalar_one_or_none()
        if taken is None:
            return None
    session.expire_all()  # the UPDATE bypassed the identity map
    return get_run(session, key)


def mark_posted(session: Session, key: str, now: datetime, channel: str, ts: str) -> bool:
    """Record the run's message (`late-posted` if it was claimed late); False if one is recorded already."""
    now = _utc(now)
    done = session.execute(
        update(DigestRun)
        .where(DigestRun.run_key == key, DigestRun.message_ts.is_(None), DigestRun.status != "skipped")
        .values(
            status=case((DigestRun.late.is_(True), "late-posted"), else_="posted"),
            posted_at=now,
            message_channel=channel,
            message_ts=ts,
            lease_until=None,
            reason=None,
            updated_at=now,
        )
        .returning(DigestRun.id)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    return done is not None


def mark_failed(
    session: Session,
    key: str,
    replica: str,
    now: datetime,
    reason: str,
    retry_after: timedelta = timedelta(0),
) -> bool:
    """Record why the replica's claimed run failed; it may be claimed again from now + retry_after.

    False if the run is no longer this replica's claim (taken over, posted): nothing changes then.
    The attempt was counted by the claim.
    """
    now = _utc(now)
    done = session.execute(
        update(DigestRun)
        .where(
            DigestRun.run_key == key,
            DigestRun.status == "claimed",
            DigestRun.claimed_by == replica,
            DigestRun.message_ts.is_(None),
        )
        .values(status="failed", reason=reason, lease_until=now + retry_after, updated_at=now)
        .returning(DigestRun.id)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    return done is not None


def mark_skipped(
    session: Session, key: str, *, schedule: str, due: datetime, now: datetime, reason: str
) -> bool:
    """Record an unclaimed run as skipped with the reason; False if the key is recorded already."""
    now = _utc(now)
    inserted = session.execute(
        _insert(session)(DigestRun)
        .values(
            run_key=key,
            schedule=schedule,
            due=_utc(due),
            status="skipped",
            late=True,
            attempts=0,
            reason=reason,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["run_key"])
        .returning(DigestRun.id)
    ).scalar_one_or_none()
    return inserted is not None


def list_runs(session: Session, schedule: str | None = None, limit: int = 100) -> list[Run]:
    """Runs newest due first, of one schedule or all (for `annobot digest history`)."""
    stmt = select(DigestRun).order_by(DigestRun.due.desc(), DigestRun.run_key).limit(limit)
    if schedule is not None:
        stmt = stmt.where(DigestRun.schedule == schedule)
    return [_run(row) for row in session.scalars(stmt)]


def runs_due_between(session: Session, after: datetime, until: datetime) -> dict[str, Run]:
    """The tick's one query: every run due in (after, until], by key, over the index on `due`.

    Its cost follows the runs in that range (schedules × runs per range), not the history.
    """
    stmt = select(DigestRun).where(DigestRun.due > _utc(after), DigestRun.due <= _utc(until))
    return {row.run_key: _run(row) for row in session.scalars(stmt)}


def latest_posted_due(session: Session, schedule: str, before: datetime, key_suffix: str) -> datetime | None:
    """The due instant of the schedule's latest run before `before` with a message and a key ending
    with `key_suffix` (one lead's DM runs: `since-last`), over the (schedule, due) index."""
    stmt = (
        select(DigestRun.due)
        .where(
            DigestRun.schedule == schedule,
            DigestRun.due < _utc(before),
            DigestRun.message_ts.is_not(None),
            DigestRun.run_key.endswith(key_suffix, autoescape=True),
        )
        .order_by(DigestRun.due.desc())
        .limit(1)
    )
    found = session.scalars(stmt).first()
    return _read(found)


def latest_runs(
    session: Session,
    schedules: Sequence[str],
    *,
    key_suffix: str | None = None,
    without_key_part: str | None = None,
) -> dict[str, Run]:
    """The newest-due run of each named schedule (the App Home's "last result"), in one query.

    Only runs whose key ends with `key_suffix` (one lead's DM runs) and does not contain
    `without_key_part` (the channel runs, not the leads' DMs) count. The newest due per schedule
    comes from the (schedule, due) index; of two runs due at the same instant (an on-demand run asked
    at a scheduled minute) the greatest key is kept.
    """
    names = sorted(set(schedules))
    if not names:
        return {}
    keys = []
    if key_suffix is not None:
        keys.append(DigestRun.run_key.endswith(key_suffix, autoescape=True))
    if without_key_part is not None:
        keys.append(~DigestRun.run_key.contains(without_key_part, autoescape=True))
    newest = (
        select(DigestRun.schedule, func.max(DigestRun.due).label("due"))
        .where(DigestRun.schedule.in_(names), *keys)
        .group_by(DigestRun.schedule)
        .subquery()
    )
    stmt = (
        select(DigestRun)
        .join(newest, and_(DigestRun.schedule == newest.c.schedule, DigestRun.due == newest.c.due))
        .where(*keys)
        .order_by(DigestRun.run_key.desc())
    )
    found: dict[str, Run] = {}
    for row in session.scalars(stmt):
        found.setdefault(row.schedule, _run(row))
    return found
