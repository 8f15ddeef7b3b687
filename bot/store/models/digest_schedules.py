"""Digest schedules added from Slack (`/quality schedule add`); the config's `[[digests]]` are not stored."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.models.base import Base


class DigestSchedule(Base):
    """One Slack-managed schedule: `fields` is the mapping `schedule_from_mapping` validated (without
    the name, which is its own unique column); a paused one posts nothing until it is resumed."""

    __tablename__ = "digest_schedules"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    fields: Mapped[dict[str, Any]]
    paused: Mapped[bool] = mapped_column(default=False)
    # Runs due before this instant are never posted: the schedule did not exist, or was paused then.
    active_since: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
