"""Feedback on `/guide` answers: questions the guidelines did not answer, and confirmed answers (precedents)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.models.base import Base, utcnow


class UnansweredQuestion(Base):
    """A question its asker marked "None of these"; one per lookup however many clicks (unique lookup_id)."""

    __tablename__ = "unanswered_questions"
    __table_args__ = (Index("ix_unanswered_questions_guideline_created_at", "guideline", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lookup_id: Mapped[int] = mapped_column(ForeignKey("lookups.id", ondelete="CASCADE"), unique=True)
    user_id: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str | None] = mapped_column(String(32))
    query: Mapped[str] = mapped_column(Text)
    # guidelines.search.precedent.question_key: the same question asked twice counts twice.
    query_key: Mapped[str] = mapped_column(Text)
    # The guideline that should have answered (the channel's project's, else the top hit's) and its
    # version then; None when neither is known.
    guideline: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Precedent(Base):
    """A section its asker confirmed as the answer ("Helpful"); one per lookup (unique lookup_id)."""

    __tablename__ = "precedents"
    __table_args__ = (Index("ix_precedents_key_hash", "key_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lookup_id: Mapped[int] = mapped_column(ForeignKey("lookups.id", ondelete="CASCADE"), unique=True)
    user_id: Mapped[str] = mapped_column(String(32))
    query_key: Mapped[str] = mapped_column(Text)
    # sha256 of query_key: exact matches by index, whatever the question's length.
    key_hash: Mapped[str] = mapped_column(String(64))
    guideline: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(64))
    anchor: Mapped[str] = mapped_column(String(200))
    # The section's title then: followed when a later version moved the anchor.
    title: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
