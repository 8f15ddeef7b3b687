"""Importing annotation and gold files: read, validate and load in one transaction per file.

Validation runs while loading (bot.store.annotations merges on the natural key), so an invalid row
anywhere raises before the commit and rolls back everything.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.config import ProjectConfig
from bot.errors import InputError
from bot.imports.fastcsv import csv_annotation_rows
from bot.imports.item_sink import ItemSink
from bot.imports.readers import FORMATS, FileRefused, detect_format, read_records
from bot.imports.rows import (
    AnnotationRow,
    GoldRow,
    LabelSet,
    Problems,
    Tally,
    annotation_rows,
    gold_rows,
    row_time,
)
from bot.store.annotations import count_gold, merge_rows, upsert_gold
from bot.store.db import session_scope
from bot.store.items import upsert_items
from bot.store.projects import project_labels, sync_config_projects

Progress = Callable[[int], None]  # called with the bytes read so far


class _DryRun(Exception):
    """Raised inside the transaction of a dry run so that it rolls back."""


@contextmanager
def _transaction(engine: Engine, path: Path, dry_run: bool) -> Iterator[Any]:
    """The import's one transaction; a dry run does all the work, then rolls it back.

    A whole-file refusal from a reader (FileRefused: the header, a CSV line) gets the file's name.
    """
    try:
        with session_scope(engine) as session:
            yield session
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    except FileRefused as exc:
        raise InputError(f"{path}: refused, {exc.message}; nothing was imported") from None


@dataclass(frozen=True)
class ImportSummary:
    """What an import did."""

    project: str
    format: str
    read: int
    inserted: int
    replaced: int
    unchanged: int
    cancelled: int
    gold: int
    elapsed_s: float
    dry_run: bool = False
    items: int = 0  # items whose display data (text, url, data) was written

    @property
    def rows_per_s(self) -> float:
        """Rows read per second."""
        return self.read / self.elapsed_s if self.elapsed_s > 0 else 0.0


def _open(path: Path) -> BinaryIO:
    try:
        return path.open("rb")
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None


def resolve_format(path: Path, fmt: str | None) -> str:
    """The format named, or detected from the file's first bytes."""
    if fmt is not None:
        if fmt not in FORMATS:
            raise InputError(f"unknown format '{fmt}' (known: {', '.join(FORMATS)})")
        return fmt
    with _open(path) as fh:
        return detect_format(fh.read(4096))


def _progressed(stream: BinaryIO, progress: Progress | None, records: Iterable[Any]) -> Iterable[Any]:
    if progress is None:
        yield from records
        return
    for n, rec in enumerate(records):
        if n % 10_000 == 0:
            progress(stream.tell())
        yield rec
    progress(stream.tell())


def _write_items(session: Session, project: str, items: ItemSink, source: str) -> int:
    """The collected display rows, batch by batch in the order they were read (last write wins)."""
    return sum(upsert_items(session, project, batch, source) for batch in items.batches())


def import_annotations(
    engine: Engine,
    path: Path,
    project: str,
    fmt: str | None = None,
    *,
    config_projects: tuple[ProjectConfig, ...] = (),
    progress: Progress | None = None,
    dry_run: bool = False,
) -> ImportSummary:
    """Validate and load an annotation file in one transaction; an invalid row refuses the whole file.

    With dry_run the same work is done and the counts returned, but the transaction is rolled back.
    """
    fmt = resolve_format(path, fmt)
    start = time.perf_counter()
    problems, tally = Problems(), Tally()
    gold: list[GoldRow] = []
    items = ItemSink()
    with _transaction(engine, path, dry_run) as session, ExitStack() as files:
        files.callback(items.clear)  # removes a spilled temporary file
        files.enter_context(_open(path))  # an unreadable file fails before anything is written
        sync_config_projects(session, config_projects)
        pl = project_labels(session, project)
        session.flush()
        labels = LabelSet(pl.labels, pl.scale)
        default_ts = row_time(datetime.now(UTC))

        def read() -> Iterable[AnnotationRow]:
            # A fresh pass over the file, with fresh counts and problems.
            nonlocal problems, tally
            problems, tally = Problems(), Tally()
            gold.clear()
            items.clear()
            stream = files.enter_context(_open(path))
            if fmt == "csv":
                rows = csv_annotation_rows(stream, labels, problems, tally, default_ts, items)
                return _progressed(stream, progress, rows)
            records = _progressed(stream, progress, read_records(stream, fmt, "annotations"))
            return annotation_rows(records, labels, problems, tally, default_ts, gold, items)

        staged, inserted, replaced = merge_rows(session, project, pl.version, fmt, read)
        # Raising rolls the transaction back: nothing staged or merged is kept.
        problems.raise_if_any(str(path))
        if gold:
            upsert_gold(session, project, gold)
        # In the same transaction as the annotations: an item's display data is never half-written.
        written = _write_items(session, project, items, fmt)
    return ImportSummary(
        project,
        fmt,
        tally.read,
        inserted,
        replaced,
        staged - inserted - replaced,
        tally.cancelled,
        tally.gold,
        time.perf_counter() - start,
        dry_run,
        written,
    )


def import_gold(
    engine: Engine,
    path: Path,
    project: str,
    fmt: str | None = None,
    *,
    config_projects: tuple[ProjectConfig, ...] = (),
    dry_run: bool = False,
) -> ImportSummary:
    """Validate and load gold answers (CSV/JSONL item_id, label, task; Label Studio ground truth).

    A changed answer is kept in gold_history; with dry_run nothing is written (rolled back).
    """
    fmt = resolve_format(path, fmt)
    start = time.perf_counter()
    problems, tally = Problems(), Tally()
    with _transaction(engine, path, dry_run) as session, _open(path) as stream, ItemSink() as items:
        sync_config_projects(session, config_projects)
        pl = project_labels(session, project)
        session.flush()
        records = read_records(stream, fmt, "gold")
        rows = list(gold_rows(records, LabelSet(pl.labels, pl.scale), problems, tally, items))
        problems.raise_if_any(str(path))
        before = count_gold(session, project)
        written, changed = upsert_gold(session, project, rows)
        after = count_gold(session, project)
        shown = _write_items(session, project, items, fmt)
    return ImportSummary(
        project,
        fmt,
        tally.read,
        after - before,
        changed,
        len(rows) - (after - before) - changed,
        tally.cancelled,
        written,
        time.perf_counter() - start,
        dry_run,
        shown,
    )
