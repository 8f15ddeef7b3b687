"""Tables of decision-tree walks: every step reached (once per walk and path) and shared outcomes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.models.base import Base, utcnow


class TreeStep(Base):
    """A node reached in a walk. (walk_id, path) is unique: a double click or a Slack retry of the same
    choice records one row, on any replica; Back then another choice is another path, another row."""

    __tablename__ = "tree_steps"
    __table_args__ = (
        UniqueConstraint("walk_id", "path"),
        Index("ix_tree_steps_at", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    walk_id: Mapped[str] = mapped_column(String(32))
    path: Mapped[str] = mapped_column(String(100))  # option indices from start, e.g. "0.2.1"; "" at start
    tree: Mapped[str] = mapped_column(String(200))  # slug/tree_id
    version: Mapped[str] = mapped_column(String(64))
    step: Mapped[int] = mapped_column(Integer)  # depth of the node: 0 is start
    node: Mapped[str] = mapped_column(String(64))
    option: Mapped[int | None] = mapped_column(Integer)  # the choice at the previous node
    user_id: Mapped[str] = mapped_column(String(255))
    outcome: Mapped[str | None] = mapped_column(Text)  # the leaf's label
    at: Mapped[datetime] = mapped_column(default=utcnow)


class TreeShare(Base):
    """A walk's outcome posted to its channel: the primary key makes Share result post once."""

    __tablename__ = "tree_shares"

    walk_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    path: Mapped[str] = mapped_column(String(100))
    shared_at: Mapped[datetime] = mapped_column(default=utcnow)
