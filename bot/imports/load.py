"""Loading validated rows into the store: one transaction per import, upsert on the natural key.

Into a project that has no annotations yet, rows stream straight into `annotations` (PostgreSQL: COPY;
SQLite: batched executemany). Otherwise, or when that meets a key twice (a duplicate within the file),
rows are staged into a temporary table the same way and merged with set-based SQL that is the same on
both backends: duplicates within the file dropped (newest kept), history of replaced labels, UPDATE of
the rows whose staged label is newer and different, INSERT of the new keys. Validation runs while
loading, so an invalid row anywhere rolls back everything.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.config import ProjectConfig
from bot.errors import InputError
from bot.imports.bulk import BATCH, STAGE_COLUMNS, copy_csv, csv_field, prefetch
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

# The staged columns in AnnotationRow order, then the ones that are the same for every row of an import.
TARGET_COLUMNS = STAGE_COLUMNS + ", project, guideline_version, source, updated_at"
KEY = "task, item, annotator, span_key"
# Tries of the staged merge when concurrent writers keep inserting keys it is about to insert.
MERGE_ATTEMPTS = 5
Progress = Callable[[int], None]  # called with the bytes read so far
RowSource = Callable[[], Iterable[AnnotationRow]]  # a fresh pass over the validated rows of the file


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


def _consts(project: str, guideline_version: str | None, source: str, now: datetime) -> tuple[Any, ...]:
    """The values of project, guideline_version, source, updated_at (same for every row of an import)."""
    return (project, guideline_version, source, store_time(now))


def _load_sqlite(conn: Connection, table: str, columns: str, rows: Iterable[tuple[Any, ...]]) -> int:
    """executemany in batches on the raw connection (SQLAlchemy's per-row processing is skipped)."""
    cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join('?' * len(columns.split(',')))})"
    n = 0
    it = iter(rows)
    try:
        while batch := list(islice(it, BATCH)):
            cur.executemany(sql, batch)
            n += len(batch)
    finally:
        cur.close()
    return n


def _load_postgres(conn: Connection, table: str, columns: str, chunks: Iterable[tuple[str, int]]) -> int:
    raw = conn.connection.driver_connection
    n = 0
    try:
        with raw.cursor() as cur, cur.copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT csv)") as copy:  # type: ignore[union-attr]
            for chunk, k in chunks:
                copy.write(chunk)
                n += k
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()  # stops a prefetch worker now, not when the generator is collected
    return n


def _direct(
    conn: Connection,
    project: str,
    guideline_version: str | None,
    source: str,
    now: datetime,
    rows: Iterable[AnnotationRow],
) -> int | None:
    """Load rows straight into `annotations` (the project has none); None if a key came twice.

    Only the unique key can fail here (the project's rows were empty and every row is validated),
    and it means a duplicate within the file (or a webhook row that arrived meanwhile): the load is
    undone and the caller goes the staged way, which keeps the newest of duplicates.
    """
    consts = _consts(project, guideline_version, source, now)
    if conn.dialect.name == "sqlite":
        # A plain SAVEPOINT (SQLAlchemy's begin_nested needs driver workarounds on pysqlite). It is
        # never released: if it opened the transaction, releasing it would commit; COMMIT at the end
        # of the import ends it, ROLLBACK undoes it with everything else.
        conn.exec_driver_sql("SAVEPOINT annobot_direct")
        try:
            return _load_sqlite(conn, "annotations", TARGET_COLUMNS, (r + consts for r in rows))
        except sqlite3.IntegrityError:
            conn.exec_driver_sql("ROLLBACK TO annobot_direct")
            return None
    import psycopg

    tail = "," + ",".join(csv_field(v) for v in consts[:3]) + "," + consts[3] + "+00"
    savepoint = conn.begin_nested()
    try:
        n = _load_postgres(conn, "annotations", TARGET_COLUMNS, prefetch(copy_csv(rows, tail)))
    except psycopg.errors.UniqueViolation:
        savepoint.rollback()
        return None
    savepoint.commit()
    return n


def _stage(conn: Connection, rows: Iterable[AnnotationRow]) -> int:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("DROP TABLE IF EXISTS temp.annobot_stage")
        conn.exec_driver_sql(
            "CREATE TEMP TABLE annobot_stage (seq INTEGER PRIMARY KEY, task TEXT, item TEXT, annotator TEXT,"
            " label TEXT, label_num REAL, span_start INTEGER, span_end INTEGER, span_key TEXT, created_at TEXT,"
            " duration_s REAL, cohort TEXT, external_id TEXT)"
        )
        return _load_sqlite(conn, "annobot_stage", STAGE_COLUMNS, rows)
    conn.exec_driver_sql("DROP TABLE IF EXISTS annobot_stage")
    conn.exec_driver_sql(
        "CREATE TEMP TABLE annobot_stage (seq BIGSERIAL, task TEXT, item TEXT, annotator TEXT, label TEXT,"
        " label_num DOUBLE PRECISION, span_start INTEGER, span_end INTEGER, span_key TEXT,"
        " created_at TIMESTAMPTZ, duration_s DOUBLE PRECISION, cohort TEXT, external_id TEXT) ON COMMIT DROP"
    )
    n = _load_postgres(conn, "annobot_stage", STAGE_COLUMNS, prefetch(copy_csv(rows)))
    conn.exec_driver_sql("ANALYZE annobot_stage")  # temp tables get no autovacuum statistics
    # Room for the duplicate check and the joins to hash in memory (the default 4 MB spills to disk).
    conn.exec_driver_sql("SET LOCAL work_mem = '64MB'")
    return n


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
_MATCH = """a.project = :project AND a.task = s.task AND a.item = s.item AND a.annotator = s.annotator
 AND a.span_key = s.span_key"""
_NEWER = "s.created_at > a.created_at AND s.label <> a.label"
_HISTORY = f"""
INSERT INTO annotation_history
  (project, task, item, annotator, span_key, old_label, new_label, old_created_at, new_created_at, replaced_at)
SELECT a.project, a.task, a.item, a.annotator, a.span_key, a.label, s.label, a.created_at, s.created_at, :now
FROM annobot_stage s JOIN annotations a ON {_MATCH}
WHERE {_NEWER}
"""
_UPDATE = f"""
UPDATE annotations AS a SET
  label = s.label, label_num = s.label_num, span_start = s.span_start, span_end = s.span_end,
  created_at = s.created_at, duration_s = s.duration_s, cohort = s.cohort, guideline_version = :gv,
  source = :source, external_id = s.external_id, updated_at = :now
FROM annobot_stage s
WHERE {_MATCH} AND {_NEWER}
"""
_INSERT_NEW = f"""
INSERT INTO annotations ({TARGET_COLUMNS})
SELECT {STAGE_COLUMNS}, CAST(:project AS VARCHAR), :gv, :source, :now
FROM annobot_stage s
WHERE NOT EXISTS (SELECT 1 FROM annotations a WHERE {_MATCH})
"""
# The single-row upsert of the webhook (merge_few).
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


def merge_rows(
    conn: Connection, project: str, guideline_version: str | None, source: str, read: RowSource
) -> tuple[int, int, int]:
    """Load the rows `read()` yields in the caller's transaction; (staged, inserted, replaced).

    `read` may be called twice: a direct load that meets a duplicate key starts again staged.
    """
    sqlite = conn.dialect.name == "sqlite"
    if sqlite:
        # A bigger page cache for this connection keeps the annotation indexes in memory while
        # loading a large file (the default 2 MB thrashes); ~100 MB keeps a 1M-row import under 500 MB.
        conn.exec_driver_sql("PRAGMA cache_size = -100000")
    try:
        return _merge(conn, project, guideline_version, source, read)
    finally:
        if sqlite:
            conn.exec_driver_sql("PRAGMA cache_size = -2000")  # back to the default for a pooled connection


def _merge(
    conn: Connection, project: str, guideline_version: str | None, source: str, read: RowSource
) -> tuple[int, int, int]:
    sqlite = conn.dialect.name == "sqlite"
    now_dt = datetime.now(UTC)
    empty = conn.execute(
        text("SELECT NOT EXISTS (SELECT 1 FROM annotations WHERE project = :p)"), {"p": project}
    ).scalar_one()
    if empty:
        n = _direct(conn, project, guideline_version, source, now_dt, read())
        if n is not None:
            return n, n, 0
    staged = _stage(conn, read())
    if conn.exec_driver_sql(_HAS_DUPES).scalar_one():
        conn.exec_driver_sql(_DEDUPE)
    now: Any = store_time(now_dt) if sqlite else now_dt
    params = {"project": project, "now": now, "gv": guideline_version, "source": source}
    if sqlite:  # one writer at a time: nothing can insert a key between the statements
        replaced, inserted = _apply_stage(conn, params)
        conn.exec_driver_sql("DROP TABLE IF EXISTS temp.annobot_stage")
        return staged, inserted, replaced
    import psycopg

    for attempt in range(1, MERGE_ATTEMPTS + 1):
        # Another writer (the webhook, another replica) may commit one of the new keys after
        # _INSERT_NEW's NOT EXISTS looked: the insert then fails on the unique key. Undo this
        # attempt and apply again; the committed row is visible to the next statements, so it is
        # replaced (with history) or kept as any other existing row.
        savepoint = conn.begin_nested()
        try:
            replaced, inserted = _apply_stage(conn, params)
        except IntegrityError as exc:
            savepoint.rollback()
            if not isinstance(exc.orig, psycopg.errors.UniqueViolation) or attempt == MERGE_ATTEMPTS:
                raise
            continue
        savepoint.commit()
        break
    conn.exec_driver_sql("DROP TABLE annobot_stage")
    return staged, inserted, replaced


def _apply_stage(conn: Connection, params: dict[str, Any]) -> tuple[int, int]:
    """History, update and insert from the staging table; (replaced, inserted)."""
    replaced = conn.execute(text(_HISTORY), params).rowcount
    conn.execute(text(_UPDATE), params)  # the same rows as _HISTORY
    inserted = conn.execute(text(_INSERT_NEW), params).rowcount
    return replaced, inserted


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
    with engine.begin() as conn, ExitStack() as files:
        files.enter_context(_open(path))  # an unreadable file fails before anything is written
        session = Session(bind=conn)
        sync_config_projects(session, config_projects)
        pl = project_labels(session, project)
        session.flush()
        labels = LabelSet(pl.labels, pl.scale)
        default_ts = store_time(datetime.now(UTC))

        def read() -> Iterable[AnnotationRow]:
            # A fresh pass over the file, with fresh counts and problems.
            nonlocal problems, tally
            problems, tally = Problems(), Tally()
            gold.clear()
            stream = files.enter_context(_open(path))
            if fmt == "csv":
                return _progressed(
                    stream, progress, csv_annotation_rows(stream, labels, problems, tally, default_ts)
                )
            records = _progressed(stream, progress, read_records(stream, fmt))
            return annotation_rows(records, labels, problems, tally, default_ts, gold)

        staged, inserted, replaced = merge_rows(conn, project, pl.version, fmt, read)
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
