"""The audit trail: every privileged action and every denial, who asked, on what, and the answer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.models.base import Base, utcnow

DETAIL_MAX = 500  # a short note (a case id, a version); longer text is cut by bot.store.audit.record


class AuditEvent(Base):
    """One authorization decision that matters: allowed privileged actions and all denials."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_at", "at"),
        Index("ix_audit_events_project_at", "project", "at"),
        Index("ix_audit_events_user_id_at", "user_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)  # UTC, from the store's clock
    user_id: Mapped[str] = mapped_column(String(255))  # Slack user id as Slack sent it
    action: Mapped[str] = mapped_column(String(64))  # bot.authz.roles.Action value
    project: Mapped[str] = mapped_column(String(255))
    allowed: Mapped[bool]
    role_needed: Mapped[str] = mapped_column(String(16))
    role_had: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(String(DETAIL_MAX), default="")
