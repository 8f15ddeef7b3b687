"""The audit trail in the store: record an authorization decision, list them newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from bot.store.models.audit import DETAIL_MAX, AuditEvent
from bot.store.models.base import utcnow

_ID_MAX = 255  # user_id and project columns
DEFAULT_LIMIT = 100


@dataclass(frozen=True)
class AuditEntry:
    """One stored decision, `at` timezone-aware in UTC on every backend."""

    id: int
    at: datetime
    user_id: str
    action: str
    project: str
    allowed: bool
    role_needed: str
    role_had: str
    detail: str


def _fit(text: str, limit: int) -> str:
    # PostgreSQL refuses NUL in text; a record must never fail on what a user typed or Slack sent.
    text = text.replace("\x00", "\ufffd")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def record(
    session: Session,
    *,
    user_id: str,
    action: str,
    project: str,
    allowed: bool,
    role_needed: str,
    role_had: str,
    detail: str = "",
    at: datetime | None = None,
) -> AuditEntry:
    """Store one decision (long text cut to its column with "…"); returns it as stored."""
    row = AuditEvent(
        at=at or utcnow(),
        user_id=_fit(user_id, _ID_MAX),
        action=_fit(action, 64),
        project=_fit(project, _ID_MAX),
        allowed=allowed,
        role_needed=_fit(role_needed, 16),
        role_had=_fit(role_had, 16),
        detail=_fit(detail, DETAIL_MAX),
    )
    session.add(row)
    session.flush()
    return _entry(row)


def list_events(
    session: Session,
    *,
    project: str | None = None,
    user_id: str | None = None,
    allowed: bool | None = None,
    limit: int = DEFAULT_LIMIT,
) -> list[AuditEntry]:
    """Stored decisions, newest first, optionally of one project, one user, or only allowed/denied."""
    stmt: Select = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if project is not None:
        stmt = stmt.where(AuditEvent.project == project)
    if user_id is not None:
        stmt = stmt.where(AuditEvent.user_id == user_id)
    if allowed is not None:
        stmt = stmt.where(AuditEvent.allowed.is_(allowed))
    return [_entry(row) for row in session.scalars(stmt.limit(max(limit, 0)))]


def _entry(row: AuditEvent) -> AuditEntry:
    at = row.at if row.at.tzinfo else row.at.replace(tzinfo=UTC)  # SQLite hands back naive UTC
    return AuditEntry(
        id=row.id,
        at=at.astimezone(UTC),
        user_id=row.user_id,
        action=row.action,
        project=row.project,
        allowed=row.allowed,
        role_needed=row.role_needed,
        role_had=row.role_had,
        detail=row.detail,
    )
