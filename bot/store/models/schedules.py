"""Tables of scheduled digests (issue 14): one row per run of a schedule, claimed once across replicas."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.models.base import Base

RUN_STATUSES = ("claimed", "posted", "late-posted", "skipped", "failed")


class DigestRun(Base):
    """A schedule's run due at `due`: `run_key` (reports.schedule.due.run_key) is unique, so one replica
    inserts it; a `claimed` or `failed` run whose lease ran out may be taken over, a posted one never."""

    __tablename__ = "digest_runs"
    __table_args__ = (
        CheckConstraint("status IN ('claimed', 'posted', 'late-posted', 'skipped', 'failed')", name="status"),
        # The tick reads the runs of a recent range of due instants, however many schedules and runs.
        Index("ix_digest_runs_due", "due"),
        # `annobot digest history --schedule NAME`: newest first.
        Index("ix_digest_runs_schedule_due", "schedule", "due"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_key: Mapped[str] = mapped_column(String(100), unique=True)
    schedule: Mapped[str] = mapped_column(String(40))
    due: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20))
    late: Mapped[bool] = mapped_column(default=False)
    claimed_by: Mapped[str | None] = mapped_column(String(100))  # the replica id
    claimed_at: Mapped[datetime | None]
    lease_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    posted_at: Mapped[datetime | None]
    message_channel: Mapped[str | None] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime]


class DigestShare(Base):
    """A `/quality` digest a lead posted to a channel with **Post to channel**: `key` (a hash of channel,
    project and window) is the primary key, so a second click, on any replica, posts nothing."""

    __tablename__ = "digest_shares"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    project: Mapped[str] = mapped_column(String(200))
    posted_by: Mapped[str] = mapped_column(String(32))
    claimed_at: Mapped[datetime]
    message_ts: Mapped[str | None] = mapped_column(String(32))  # None until Slack took the post
