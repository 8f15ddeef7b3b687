"""Disagreement flags, the cases they group into, case events and adjudications (issue 12)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.models.base import Base, utcnow

# The predicate of "an open case" (open or assigned). It is the WHERE of the partial unique index
# below and the index_where of file_flag's ON CONFLICT, which must name the index's own predicate.
OPEN_CASE = "status <> 'resolved'"


class FlagCase(Base):
    """One dispute about one item of a project; the flags on the item while it is open join it."""

    __tablename__ = "flag_cases"
    __table_args__ = (
        # At most one open case per item, enforced by the database so that concurrent filers on any
        # replica end in one case: file_flag inserts with ON CONFLICT DO NOTHING against this index.
        # Partial unique indexes work alike on SQLite and PostgreSQL; resolved cases stay out of it.
        Index(
            "uq_flag_cases_open_item",
            "project",
            "item_id",
            unique=True,
            postgresql_where=text(OPEN_CASE),
            sqlite_where=text(OPEN_CASE),
        ),
        Index("ix_flag_cases_project_status", "project", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # projects.name, checked by the edges rather than by a foreign key (as annotations do).
    project: Mapped[str] = mapped_column(String(100))
    item_id: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="open")  # open, assigned, resolved
    assignee: Mapped[str | None] = mapped_column(String(64))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]


class Flag(Base):
    """One annotator's "I think this label is wrong" on an item, at the guideline version of its filing."""

    __tablename__ = "flags"
    __table_args__ = (Index("ix_flags_project_filed_at", "project", "filed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("flag_cases.id", ondelete="CASCADE"), index=True)
    project: Mapped[str] = mapped_column(String(100))
    item_id: Mapped[str] = mapped_column(String(200))
    filed_by: Mapped[str] = mapped_column(String(64))
    filed_at: Mapped[datetime] = mapped_column(default=utcnow)
    my_label: Mapped[str] = mapped_column(Text)
    # [{"label": ..., "source": "annotator" | "gold" | "model", "who": ... or null}, ...]
    other_labels: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    reason: Mapped[str] = mapped_column(String(64))  # a taxonomy id; the taxonomy lives in the config
    guideline: Mapped[str] = mapped_column(String(64))  # slug
    version: Mapped[str] = mapped_column(String(64))  # current at filing
    anchor: Mapped[str | None] = mapped_column(String(200))
    comment: Mapped[str] = mapped_column(Text, default="")  # verbatim; escaped wherever shown
    permalink: Mapped[str | None] = mapped_column(String(500))
    channel: Mapped[str | None] = mapped_column(String(64))
    thread_ts: Mapped[str | None] = mapped_column(String(32))
    # Slack view id + view hash: a view submission delivered twice stores one flag. NULL for
    # filings from elsewhere (NULLs are distinct in a unique index on both backends).
    idempotency_key: Mapped[str | None] = mapped_column(String(255), unique=True)


class FlagEvent(Base):
    """Something that happened to a case: a comment, an assignment, its resolution."""

    __tablename__ = "flag_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("flag_cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # comment, assigned, resolved
    by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    text: Mapped[str | None] = mapped_column(Text)  # the comment, verbatim
    assignee: Mapped[str | None] = mapped_column(String(64))


class FlagDecision(Base):
    """The adjudication of a case; one per case (the unique case_id lets one of two racing leads win)."""

    __tablename__ = "flag_decisions"
    __table_args__ = (Index("ix_flag_decisions_project_item_id", "project", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("flag_cases.id", ondelete="CASCADE"), unique=True)
    # Copied from the case so the item's adjudicated label is read without a join (export, gold).
    project: Mapped[str] = mapped_column(String(100))
    item_id: Mapped[str] = mapped_column(String(200))
    task: Mapped[str] = mapped_column(String(200), default="default")
    final_label: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="")
    # annotator_right, other_right, both_acceptable, guideline_must_change
    outcome: Mapped[str] = mapped_column(String(32))
    section_to_change: Mapped[str | None] = mapped_column(String(200))
    add_to_gold: Mapped[bool] = mapped_column(Boolean, default=False)
    decided_by: Mapped[str] = mapped_column(String(64))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
