"""Loading validated rows into the store: one transaction per import, upsert on the natural key.

Rows are staged into a temporary table (PostgreSQL: COPY; SQLite: batched executemany), then merged
with set-based SQL that is the same on both backends: history of replaced labels first, then
INSERT ... SELECT ... ON CONFLICT DO UPDATE ... WHERE the staged label is newer and different.
Validation runs while staging, so an invalid row anywhere rolls back everything.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session

from bot.config import ProjectConfig
from bot.errors import InputError
from bot.imports.fastcsv import csv_annotation_rows
from bot.imports.readers import FORMATS, detect_format, read_records
from bot.imports.rows import (
    AnnotationRow,
    GoldRow,
    LabelSet,
    Problems,
    Tally,
    annotation_rows,
    gold_rows,
)
from bot.store.projects import project_labels, sync_config_projects

BATCH = 20_000
STAGE_COLUMNS = "task, item, annotator, label, label_num, span_start, span_end, span_key, created_at, duration_s, cohort, external_id"
KEY = "task, item, annotator, span_key"
Progress = Callable[[int], None]  # called with the bytes read so far


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

    @property
    def rows_per_s(self) -> float:
        """Rows read per second."""
        return self.read / self.elapsed_s if self.elapsed_s > 0 else 0.0


def store_time(dt: datetime) -> str:
    """The UTC text form timestamps are staged and compared in."""
    return dt.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _stage_sqlite(conn: Connection, rows: Iterable[AnnotationRow]) -> None:
    # A bigger page cache for this connection keeps the four annotation indexes in memory while
    # merging a large file (the default 2 MB thrashes); ~100 MB keeps a 1M-row import under 500 MB.
    conn.exec_driver_sql("PRAGMA cache_size = -100000")
    conn.exec_driver_sql("DROP TABLE IF EXISTS temp.annobot_stage")
    conn.exec_driver_sql(
        "CREATE TEMP TABLE annobot_stage (seq INTEGER PRIMARY KEY, task TEXT, item TEXT, annotator TEXT,"
        " label TEXT, label_num REAL, span_start INTEGER, span_end INTEGER, span_key TEXT, created_at TEXT,"
        " duration_s REAL, cohort TEXT, external_id TEXT)"
    )
    cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    sql = f"INSERT INTO annobot_stage ({STAGE_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"
    it = iter(rows)
    while batch := list(islice(it, BATCH)):
        cur.executemany(sql, batch)
    cur.close()


def _stage_postgres(conn: Connection, rows: Iterable[AnnotationRow]) -> None:
    conn.exec_driver_sql("DROP TABLE IF EXISTS annobot_stage")
    conn.exec_driver_sql(
        "CREATE TEMP TABLE annobot_stage (seq BIGSERIAL, task TEXT, item TEXT, annotator TEXT, label TEXT,"
        " label_num DOUBLE PRECISION, span_start INTEGER, span_end INTEGER, span_key TEXT,"
        " created_at TIMESTAMPTZ, duration_s DOUBLE PRECISION, cohort TEXT, external_id TEXT) ON COMMIT DROP"
    )
    raw = conn.connection.driver_connection
    with raw.cursor() as cur, cur.copy(f"COPY annobot_stage ({STAGE_COLUMNS}) FROM STDIN") as copy:  # type: ignore[union-attr]
        write = copy.write_row
        for r in rows:
            # Staged text has no offset; it is UTC.
            write(r._replace(created_at=r.created_at + "+00"))


_DEDUPE = """
DELETE FROM annobot_stage WHERE seq IN (
  SELECT seq FROM (
    SELECT seq, ROW_NUMBER() OVER (PARTITION BY task, item, annotator, span_key
                                   ORDER BY created_at DESC, seq DESC) AS rn
    FROM annobot_stage) AS ranked
  WHERE rn > 1)
"""
_HAS_DUPES = """
SELECT EXISTS (SELECT 1 FROM annobot_stage GROUP BY task, item, annotator, span_key HAVING COUNT(*) > 1)
"""
_HISTORY = """
INSERT INTO annotation_history
  (project, task, item, annotator, span_key, old_label, new_label, old_created_at, new_created_at, replaced_at)
SELECT a.project, a.task, a.item, a.annotator, a.span_key, a.label, s.label, a.created_at, s.created_at, :now
FROM annobot_stage s JOIN annotations a
  ON a.project = :project AND a.task = s.task AND a.item = s.item AND a.annotator = s.annotator
 AND a.span_key = s.span_key
WHERE s.created_at > a.created_at AND s.label <> a.label
"""
_UPSERT = """
INSERT INTO annotations
  (project, task, item, annotator, label, label_num, span_start, span_end, span_key, created_at,
   duration_s, cohort, guideline_version, source, external_id, updated_at)
SELECT :project, task, item, annotator, label, label_num, span_start, span_end, span_key, created_at,
   duration_s, cohort, :gv, :source, external_id, :now
FROM annobot_stage WHERE true
ON CONFLICT (project, task, item, annotator, span_key) DO UPDATE SET
  label = excluded.label, label_num = excluded.label_num, span_start = excluded.span_start,
  span_end = excluded.span_end, created_at = excluded.created_at, duration_s = excluded.duration_s,
  cohort = excluded.cohort, guideline_version = excluded.guideline_version, source = excluded.source,
  external_id = excluded.external_id, updated_at = excluded.updated_at
WHERE excluded.created_at > annotations.created_at AND excluded.label <> annotations.label
"""


def _count(conn: Connection, project: str) -> int:
    return conn.execute(
        text("SELECT COUNT(*) FROM annotations WHERE project = :p"), {"p": project}
    ).scalar_one()


def merge_rows(
    conn: Connection, project: str, guideline_version: str | None, source: str, rows: Iterable[AnnotationRow]
) -> tuple[int, int, int]:
    """Stage and upsert rows in the caller's transaction; (staged, inserted, replaced)."""
    sqlite = conn.dialect.name == "sqlite"
    (_stage_sqlite if sqlite else _stage_postgres)(conn, rows)
    staged = conn.exec_driver_sql("SELECT COUNT(*) FROM annobot_stage").scalar_one()
    if conn.exec_driver_sql(_HAS_DUPES).scalar_one():
        conn.exec_driver_sql(_DEDUPE)
    now_dt = datetime.now(UTC)
    now: Any = store_time(now_dt) if sqlite else now_dt
    before = _count(conn, project)
    params = {"project": project, "now": now, "gv": guideline_version, "source": source}
    replaced = conn.execute(text(_HISTORY), params).rowcount
    conn.execute(text(_UPSERT), params)
    inserted = _count(conn, project) - before
    conn.exec_driver_sql("DROP TABLE IF EXISTS temp.annobot_stage" if sqlite else "DROP TABLE annobot_stage")
    if sqlite:
        conn.exec_driver_sql("PRAGMA cache_size = -2000")  # back to the default for a pooled connection
    return staged, inserted, replaced


_HISTORY_ONE = """
INSERT INTO annotation_history
  (project, task, item, annotator, span_key, old_label, new_label, old_created_at, new_created_at, replaced_at)
SELECT project, task, item, annotator, span_key, label, :label, created_at, :created_at, :now
FROM annotations
WHERE project = :project AND task = :task AND item = :item AND annotator = :annotator AND span_key = :span_key
  AND :created_at > created_at AND :label <> label
"""
_UPSERT_ONE = (
    _UPSERT.split("SELECT :project", 1)[0]
    + """VALUES (:project, :task, :item, :annotator, :label, :label_num, :span_start, :span_end, :span_key,
   :created_at, :duration_s, :cohort, :gv, :source, :external_id, :now)
ON CONFLICT"""
    + _UPSERT.split("ON CONFLICT", 1)[1]
)


def merge_few(
    conn: Connection, project: str, guideline_version: str | None, source: str, rows: list[AnnotationRow]
) -> tuple[int, int]:
    """Upsert a handful of rows without staging (webhook); (inserted, replaced). Same rules as merge_rows."""
    sqlite = conn.dialect.name == "sqlite"
    now_dt = datetime.now(UTC)
    base = {"project": project, "gv": guideline_version, "source": source}
    base["now"] = store_time(now_dt) if sqlite else now_dt
    inserted = replaced = 0
    for r in rows:
        params = {**base, **r._asdict()}
        if not sqlite:
            params["created_at"] = datetime.fromisoformat(r.created_at).replace(tzinfo=UTC)
        h = conn.execute(text(_HISTORY_ONE), params).rowcount
        u = conn.execute(text(_UPSERT_ONE), params).rowcount
        replaced += h
        inserted += u - h
    return inserted, replaced


def upsert_gold(conn: Connection, project: str, rows: Iterable[GoldRow]) -> int:
    """Insert or overwrite gold answers; returns the rows written."""
    sqlite = conn.dialect.name == "sqlite"
    now: Any = store_time(datetime.now(UTC)) if sqlite else datetime.now(UTC)
    sql = text(
        "INSERT INTO gold (project, task, item, label, updated_at) VALUES (:project, :task, :item, :label, :now)"
        " ON CONFLICT (project, task, item) DO UPDATE SET label = excluded.label, updated_at = excluded.updated_at"
        " WHERE excluded.label <> gold.label"
    )
    n = 0
    it = iter(rows)
    while batch := list(islice(it, BATCH)):
        conn.execute(sql, [{"project": project, "now": now, **r._asdict()} for r in batch])
        n += len(batch)
    return n


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


def import_annotations(
    engine: Engine,
    path: Path,
    project: str,
    fmt: str | None = None,
    *,
    config_projects: tuple[ProjectConfig, ...] = (),
    progress: Progress | None = None,
) -> ImportSummary:
    """Validate and load an annotation file in one transaction; an invalid row refuses the whole file."""
    fmt = resolve_format(path, fmt)
    start = time.perf_counter()
    problems, tally = Problems(), Tally()
    gold: list[GoldRow] = []
    with engine.begin() as conn, _open(path) as stream:
        session = Session(bind=conn)
        sync_config_projects(session, config_projects)
        pl = project_labels(session, project)
        session.flush()
        labels = LabelSet(pl.labels, pl.scale)
        default_ts = store_time(datetime.now(UTC))
        if fmt == "csv":
            rows = _progressed(
                stream, progress, csv_annotation_rows(stream, labels, problems, tally, default_ts)
            )
        else:
            records = _progressed(stream, progress, read_records(stream, fmt))
            rows = annotation_rows(records, labels, problems, tally, default_ts, gold)
        staged, inserted, replaced = merge_rows(conn, project, pl.version, fmt, rows)
        # Raising rolls the transaction back: nothing staged or merged is kept.
        problems.raise_if_any(str(path))
        if gold:
            upsert_gold(conn, project, gold)
        session.close()
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
    )


def import_gold(
    engine: Engine,
    path: Path,
    project: str,
    fmt: str | None = None,
    *,
    config_projects: tuple[ProjectConfig, ...] = (),
) -> ImportSummary:
    """Validate and load gold answers (CSV/JSONL item_id, label, task; Label Studio ground truth)."""
    fmt = resolve_format(path, fmt)
    start = time.perf_counter()
    problems, tally = Problems(), Tally()
    with engine.begin() as conn, _open(path) as stream:
        session = Session(bind=conn)
        sync_config_projects(session, config_projects)
        pl = project_labels(session, project)
        session.flush()
        rows = list(gold_rows(read_records(stream, fmt), LabelSet(pl.labels, pl.scale), problems, tally))
        problems.raise_if_any(str(path))
        before = conn.execute(
            text("SELECT COUNT(*) FROM gold WHERE project = :p"), {"p": project}
        ).scalar_one()
        written = upsert_gold(conn, project, rows)
        after = conn.execute(
            text("SELECT COUNT(*) FROM gold WHERE project = :p"), {"p": project}
        ).scalar_one()
        session.close()
    return ImportSummary(
        project,
        fmt,
        tally.read,
        after - before,
        0,
        written - (after - before),
        tally.cancelled,
        written,
        time.perf_counter() - start,
    )
