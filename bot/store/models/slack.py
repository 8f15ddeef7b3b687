"""Tables of the Slack bot: delivered event ids and signed requests (dedupe), users' recent lookups."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.models.base import Base, utcnow


class SlackEvent(Base):
    """An Events API delivery already handled; the primary key makes retries no-ops across replicas."""

    __tablename__ = "slack_events"

    event_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class SlackRequest(Base):
    """A signed command or interaction already handled: a replay of it (same signature) acts no more.

    `key` is a hash of the request's timestamp and signature; `signed_at` is that timestamp, so
    keys can go once the signature itself would be refused as too old.
    """

    __tablename__ = "slack_requests"
    __table_args__ = (Index("ix_slack_requests_signed_at", "signed_at"),)

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    signed_at: Mapped[datetime]


class Lookup(Base):
    """One guideline question asked by a user (slash command or mention)."""

    __tablename__ = "lookups"
    __table_args__ = (
        Index("ix_lookups_user_id_created_at", "user_id", "created_at"),
        Index("ix_lookups_channel_thread_ts", "channel", "thread_ts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32))
    query: Mapped[str] = mapped_column(Text)
    # The top answer's section, if any matched.
    guideline: Mapped[str | None] = mapped_column(String(64))
    anchor: Mapped[str | None] = mapped_column(String(200))
    # Where it was asked (a channel or DM id; the thread an answer went to): the next question in the
    # same thread assumes this answer's guideline. None for rows from before migration 0016.
    channel: Mapped[str | None] = mapped_column(String(32))
    thread_ts: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The sections shown, in order, as [slug, version, anchor] lists: feedback buttons name a
    # position in it, never a section.
    hits: Mapped[list[Any] | None] = mapped_column(JSON)
