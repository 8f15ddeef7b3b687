"""Item display data: writes from imports and the webhook, reads of an item with the labels it has.

An item is named as annotations name it: (project, item). Writes are upserts in the caller's
transaction (the import's or the webhook's), so display data and annotations commit or roll back
together; the last write of an item wins.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from typing import Any, Literal

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from bot.store.bulk import BATCH
from bot.store.models.annotations import Annotation, Gold
from bot.store.models.items import Item

LabelSource = Literal["annotator", "gold", "adjudicated"]  # adjudicated: flags (issue 12) add it
# Items per IN (…) list of a batched read: well under SQLite's bound-parameter limit.
READ_CHUNK = 500

_UPSERT = """
INSERT INTO items (project, item, text, url, data, note, source, updated_at)
VALUES (:project, :item, :text, :url, {data}, :note, :source, :now)
ON CONFLICT (project, item) DO UPDATE SET
  text = excluded.text, url = excluded.url, data = excluded.data, note = excluded.note,
  source = excluded.source, updated_at = excluded.updated_at
"""
# The rows carry data as JSON text already (measured against the cap): PostgreSQL casts it to json,
# SQLite stores the text as SQLAlchemy's JSON type would.
_UPSERT_POSTGRES = _UPSERT.format(data="CAST(:data AS JSON)")
_UPSERT_SQLITE = _UPSERT.format(data=":data")


@dataclass(frozen=True)
class ItemLabel:
    """A label an item has: an annotator's, the gold answer (later: an adjudicated one)."""

    source: LabelSource
    task: str
    label: str
    annotator: str | None = None  # annotators' labels only
    span_key: str = ""  # "" for item-level labels, "START:END" for spans


@dataclass(frozen=True)
class ItemRecord:
    """What the store knows of an item: its display data (None when never imported) and its labels."""

    project: str
    item: str
    text: str | None
    url: str | None
    data: dict[str, Any] | None
    note: str | None  # what an import cut or left out (bot/imports/items.py)
    updated_at: datetime | None
    labels: tuple[ItemLabel, ...]


def upsert_items(session: Session, project: str, rows: Iterable[Any], source: str) -> int:
    """Insert or replace items' display data (last write wins); the rows written.

    Rows are `bot.imports.items.ItemRow`s: item, text, url, data (compact JSON text or None), note.
    """
    conn = session.connection()
    sql = text(_UPSERT_SQLITE if conn.dialect.name == "sqlite" else _UPSERT_POSTGRES)
    now: Any = datetime.now(UTC)
    if conn.dialect.name == "sqlite":
        now = now.strftime("%Y-%m-%d %H:%M:%S.%f")  # the text form SQLite stores times in
    # Sorted, so concurrent imports of overlapping items take the row locks in one order.
    it = iter(sorted(rows, key=lambda r: r.item))
    n = 0
    while batch := list(islice(it, BATCH)):
        conn.execute(sql, [{"project": project, "source": source, "now": now, **r._asdict()} for r in batch])
        n += len(batch)
    return n


def get_item(session: Session, project: str, item_id: str) -> ItemRecord | None:
    """One item with its display data and labels; None when the store knows nothing of it."""
    return get_items(session, project, [item_id]).get(item_id)


def get_items(session: Session, project: str, item_ids: Sequence[str]) -> dict[str, ItemRecord]:
    """Items by id, READ_CHUNK ids per query; ids the store knows nothing of are left out."""
    out: dict[str, ItemRecord] = {}
    wanted = list(dict.fromkeys(item_ids))
    for start in range(0, len(wanted), READ_CHUNK):
        out.update(_read_chunk(session, project, wanted[start : start + READ_CHUNK]))
    return out


def display_data(
    session: Session, project: str, item_ids: Sequence[str]
) -> dict[str, tuple[str | None, str | None, dict[str, Any] | None]]:
    """(text, url, data) of each item that has display data, READ_CHUNK ids per query (for exports)."""
    out: dict[str, tuple[str | None, str | None, dict[str, Any] | None]] = {}
    wanted = list(dict.fromkeys(item_ids))
    for start in range(0, len(wanted), READ_CHUNK):
        rows = session.execute(
            select(Item.item, Item.text, Item.url, Item.data).where(
                Item.project == project, Item.item.in_(wanted[start : start + READ_CHUNK])
            )
        )
        out.update({r.item: (r.text, r.url, r.data) for r in rows})
    return out


def item_tasks(session: Session, project: str, item_id: str) -> tuple[str, ...]:
    """The tasks the item has annotations or a gold answer in, sorted (what a decision may answer)."""
    found = set(
        session.scalars(
            select(Annotation.task).where(Annotation.project == project, Annotation.item == item_id)
        )
    )
    found |= set(session.scalars(select(Gold.task).where(Gold.project == project, Gold.item == item_id)))
    return tuple(sorted(found))


def text_lengths(session: Session, project: str, item_ids: Sequence[str]) -> dict[str, int]:
    """Characters of each item's display text, for the items that have one (span alpha over positions)."""
    out: dict[str, int] = {}
    wanted = list(dict.fromkeys(item_ids))
    for start in range(0, len(wanted), READ_CHUNK):
        ids = wanted[start : start + READ_CHUNK]
        rows = session.execute(
            select(Item.item, Item.text).where(
                Item.project == project, Item.item.in_(ids), Item.text.is_not(None)
            )
        )
        # Counted in Python: the span offsets are Python string indices (code points) on both backends.
        out.update({item: len(text_) for item, text_ in rows})
    return out


def _read_chunk(session: Session, project: str, ids: list[str]) -> dict[str, ItemRecord]:
    shown = {
        r.item: r
        for r in session.execute(
            select(Item.item, Item.text, Item.url, Item.data, Item.note, Item.updated_at).where(
                Item.project == project, Item.item.in_(ids)
            )
        )
    }
    labels: dict[str, list[ItemLabel]] = {}
    a = Annotation
    for r in session.execute(
        select(a.item, a.task, a.label, a.annotator, a.span_key)
        .where(a.project == project, a.item.in_(ids))
        .order_by(a.item, a.task, a.annotator, a.span_key)
    ):
        labels.setdefault(r.item, []).append(ItemLabel("annotator", r.task, r.label, r.annotator, r.span_key))
    for r in session.execute(
        select(Gold.item, Gold.task, Gold.label)
        .where(Gold.project == project, Gold.item.in_(ids))
        .order_by(Gold.item, Gold.task)
    ):
        labels.setdefault(r.item, []).append(ItemLabel("gold", r.task, r.label))
    out: dict[str, ItemRecord] = {}
    for item in ids:
        row = shown.get(item)
        if row is None and item not in labels:
            continue
        updated = None if row is None else row.updated_at
        if updated is not None and updated.tzinfo is None:
            updated = updated.replace(tzinfo=UTC)  # SQLite hands back naive datetimes; the store keeps UTC
        out[item] = ItemRecord(
            project,
            item,
            None if row is None else row.text,
            None if row is None else row.url,
            None if row is None else row.data,
            None if row is None else row.note,
            updated,
            tuple(labels.get(item, ())),
        )
    return out
