"""Item display data: what a labeler saw (text, URL, the tool's task data), one row per item of a project."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.models.base import Base, utcnow


class Item(Base):
    """An item's display data, written by imports and the Label Studio webhook (last write wins).

    Keyed like annotations (`project`, `item`); an item may have annotations without a row here
    (a file without text/url columns) and a row here without annotations (an unlabeled task).
    """

    __tablename__ = "items"
    __table_args__ = (UniqueConstraint("project", "item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project: Mapped[str] = mapped_column(String(100))  # projects.name, no foreign key (see Annotation)
    item: Mapped[str] = mapped_column(String(300))  # annotations.item
    text: Mapped[str | None] = mapped_column(Text)  # at most bot.imports.items.MAX_TEXT characters
    url: Mapped[str | None] = mapped_column(Text)  # as given; shown as a link only if http(s)
    # Label Studio's task `data` (or a JSONL `data` object), at most MAX_DATA_BYTES as compact JSON.
    data: Mapped[dict[str, Any] | None]
    note: Mapped[str | None] = mapped_column(String(300))  # what was cut or left out, and why
    source: Mapped[str] = mapped_column(String(20))  # csv, jsonl, label-studio, webhook
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
