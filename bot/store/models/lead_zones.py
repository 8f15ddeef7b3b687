"""The leads' time zones as Slack's users.info last gave them (issue 14 item 6), shared by every replica."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.models.base import Base


class LeadZone(Base):
    """One Slack user's zone for the leads-dm digests: `tz` None when Slack gave none usable;
    `active` False for a deactivated user or a bot (no DM); asked again once `expires_at` has passed."""

    __tablename__ = "lead_zones"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tz: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(default=True)
    checked_at: Mapped[datetime]
    expires_at: Mapped[datetime]
