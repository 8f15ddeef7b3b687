"""Annotation, history and gold writes: bulk merge on the natural key, webhook upserts and deletes.

Into a project that has no annotations yet, rows stream straight into `annotations` (PostgreSQL: COPY;
SQLite: batched executemany). Otherwise, or when that meets a key twice (a duplicate within the file),
rows are staged into a temporary table the same way and merged with set-based SQL that is the same on
both backends: duplicates within the file dropped (newest kept), history of replaced labels, UPDATE of
the rows whose staged label is newer and different, INSERT of the new keys. Everything runs in the
caller's transaction (the session's), so a caller that raises afterwards undoes it all.

Rows are `AnnotationRow`s (or plain tuples in STAGE_COLUMNS order) whose created_at is UTC text
'YYYY-MM-DD HH:MM:SS.ffffff'; times passed in are aware datetimes. The SQLite text form of times
stays in this module.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from sqlalchemy import Connection, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.store import aggregates
from bot.store.aggregate_stream import LoadTally
from bot.store.bulk import BATCH, STAGE_COLUMNS, copy_csv, copy_in, csv_field, insert_many, prefetch
from bot.store.models.annotations import Annotation

# The staged columns in AnnotationRow order, then the ones that are the same for every row of an import.
TARGET_COLUMNS = STAGE_COLUMNS + ", project, guideline_version, source, updated_at"
TARGET_MARKS = ", ".join("?" * len(TARGET_COLUMNS.split(",")))
STAGE_MARKS = ", ".join("?" * len(STAGE_COLUMNS.split(",")))
# Tries of the staged merge when concurrent writers keep inserting keys it is about to insert.
MERGE_ATTEMPTS = 5
RowSource = Callable[[], Iterable[Any]]  # a fresh pass over the validated rows of a file

_INSERT_DIRECT_SQLITE = f"INSERT INTO annotations ({TARGET_COLUMNS}) VALUES ({TARGET_MARKS})"
_INSERT_STAGE_SQLITE = f"INSERT INTO annobot_stage ({STAGE_COLUMNS}) VALUES ({STAGE_MARKS})"
_COPY_DIRECT = f"COPY annotations ({TARGET_COLUMNS}) FROM STDIN (FORMAT csv)"
_COPY_STAGE = f"COPY annobot_stage ({STAGE_COLUMNS}) FROM STDIN (FORMAT csv)"
_IS_EMPTY = "SELECT NOT EXISTS (SELECT 1 FROM annotations WHERE project = :p)"
_STAGE_SQLITE = (
    "CREATE TEMP TABLE annobot_stage (seq INTEGER PRIMARY KEY, task TEXT, item TEXT, annotator TEXT,"
    " label TEXT, label_num REAL, span_start INTEGER, span_end INTEGER, span_key TEXT, created_at TEXT,"
    " duration_s REAL, cohort TEXT, external_id TEXT)"
)
_STAGE_POSTGRES = (
    "CREATE TEMP TABLE annobot_stage (seq BIGSERIAL, task TEXT, item TEXT, annotator TEXT, label TEXT,"
    " label_num DOUBLE PRECISION, span_start INTEGER, span_end INTEGER, span_key TEXT,"
    " created_at TIMESTAMPTZ, duration_s DOUBLE PRECISION, cohort TEXT, external_id TEXT) ON COMMIT DROP"
)
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
# The webhook's few rows (merge_few): the history of a replaced label, then the upsert.
_HISTORY_ONE = """
INSERT INTO annotation_history
  (project, task, item, annotator, span_key, old_label, new_label, old_created_at, new_created_at, replaced_at)
SELECT project, task, item, annotator, span_key, label, :label, created_at, :created_at, :now
FROM annotations
WHERE project = :project AND task = :task AND item = :item AND annotator = :annotator AND span_key = :span_key
  AND :created_at > created_at AND :label <> label
"""
_UPSERT_ONE = """
INSERT INTO annotations
  (project, task, item, annotator, label, label_num, span_start, span_end, span_key, created_at,
   duration_s, cohort, guideline_version, source, external_id, updated_at)
VALUES (:project, :task, :item, :annotator, :label, :label_num, :span_start, :span_end, :span_key,
   :created_at, :duration_s, :cohort, :gv, :source, :external_id, :now)
ON CONFLICT (project, task, item, annotator, span_key) DO UPDATE SET
  label = excluded.label, label_num = excluded.label_num, span_start = excluded.span_start,
  span_end = excluded.span_end, created_at = excluded.created_at, duration_s = excluded.duration_s,
  cohort = excluded.cohort, guideline_version = excluded.guideline_version, source = excluded.source,
  external_id = excluded.external_id, updated_at = excluded.updated_at
WHERE excluded.created_at > annotations.created_at AND excluded.label <> annotations.label
"""
# A deleted row keeps its label in history, with new_label NULL.
_HISTORY_DELETED = (
    "INSERT INTO annotation_history (project, task, item, annotator, span_key, old_label, new_label,"
    " old_created_at, new_created_at, replaced_at)"
    " SELECT project, task, item, annotator, span_key, label, NULL, created_at, NULL, :now"
    " FROM annotations WHERE project = :project AND "
)
_HISTORY_DELETED_BY_EXTERNAL_ID = _HISTORY_DELETED + "external_id = :ext"
_HISTORY_DELETED_BY_ID = _HISTORY_DELETED + "id = :id"
_ITEMS_OF_EXTERNAL_ID = (
    "SELECT DISTINCT task, item FROM annotations WHERE project = :project AND external_id = :ext"
)
_DELETE_BY_EXTERNAL_ID = "DELETE FROM annotations WHERE project = :project AND external_id = :ext"
_DELETE_BY_ID = "DELETE FROM annotations WHERE project = :project AND id = :id"
_OLDER_OF_EXTERNAL_ID = (
    "SELECT id, task, item, annotator, span_key FROM annotations"
    " WHERE project = :project AND external_id = :ext AND created_at < :ts"
)
_UPSERT_GOLD = (
    "INSERT INTO gold (project, task, item, label, updated_at) VALUES (:project, :task, :item, :label, :now)"
    " ON CONFLICT (project, task, item) DO UPDATE SET label = excluded.label, updated_at = excluded.updated_at"
    " WHERE excluded.label <> gold.label"
)
_GOLD_HISTORY = (
    "INSERT INTO gold_history (project, task, item, old_label, new_label, replaced_at)"
    " SELECT project, task, item, label, :label, :now FROM gold"
    " WHERE project = :project AND task = :task AND item = :item AND label <> :label"
)
_COUNT_GOLD = "SELECT COUNT(*) FROM gold WHERE project = :p"
_COUNT_GOLD_HISTORY = "SELECT COUNT(*) FROM gold_history WHERE project = :p"


def _sqlite_time(dt: datetime) -> str:
    """The UTC text form SQLite stores and compares timestamps in (rows carry it already)."""
    return dt.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _bound_time(conn: Connection, dt: datetime) -> Any:
    """An aware datetime as this backend binds it."""
    return _sqlite_time(dt) if conn.dialect.name == "sqlite" else dt


def _row_time(conn: Connection, stored: str) -> Any:
    """A row's UTC text created_at as this backend compares it."""
    if conn.dialect.name == "sqlite":
        return stored
    return datetime.fromisoformat(stored).replace(tzinfo=UTC)


def _consts(project: str, guideline_version: str | None, source: str, now: datetime) -> tuple[Any, ...]:
    """The values of project, guideline_version, source, updated_at (same for every row of an import)."""
    return (project, guideline_version, source, _sqlite_time(now))


def _direct(
    conn: Connection,
    project: str,
    guideline_version: str | None,
    source: str,
    now: datetime,
    rows: Iterable[Any],
) -> int | None:
    """Load rows straight into `annotations` (the project has none) with their aggregates; None if a key came twice.

    The aggregates are tallied from the rows on their way in (bot.store.aggregate_stream: no read-back).
    Only the unique key can fail here (the project's rows were empty and every row is validated),
    and it means a duplicate within the file (or a webhook row that arrived meanwhile): the load is
    undone and the caller goes the staged way, which keeps the newest of duplicates.
    """
    consts = _consts(project, guideline_version, source, now)
    tally = LoadTally()
    rows = tally.watch(rows)
    if conn.dialect.name == "sqlite":
        # A plain SAVEPOINT (SQLAlchemy's begin_nested needs driver workarounds on pysqlite). It is
        # never released: if it opened the transaction, releasing it would commit; COMMIT at the end
        # of the import ends it, ROLLBACK undoes it with everything else.
        conn.exec_driver_sql("SAVEPOINT annobot_direct")
        try:
            n = insert_many(conn, _INSERT_DIRECT_SQLITE, (r + consts for r in rows))
        except sqlite3.IntegrityError:
            conn.exec_driver_sql("ROLLBACK TO annobot_direct")
            return None
        aggregates.write_load(conn, project, tally)
        return n
    import psycopg

    tail = "," + ",".join(csv_field(v) for v in consts[:3]) + "," + consts[3] + "+00"
    savepoint = conn.begin_nested()
    try:
        n = copy_in(conn, _COPY_DIRECT, prefetch(copy_csv(rows, tail)))
    except psycopg.errors.UniqueViolation:
        savepoint.rollback()
        return None
    savepoint.commit()
    aggregates.write_load(conn, project, tally)
    return n


def _stage(conn: Connection, rows: Iterable[Any]) -> int:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("DROP TABLE IF EXISTS temp.annobot_stage")
        conn.exec_driver_sql(_STAGE_SQLITE)
        return insert_many(conn, _INSERT_STAGE_SQLITE, rows)
    conn.exec_driver_sql("DROP TABLE IF EXISTS annobot_stage")
    conn.exec_driver_sql(_STAGE_POSTGRES)
    n = copy_in(conn, _COPY_STAGE, prefetch(copy_csv(rows)))
    conn.exec_driver_sql("ANALYZE annobot_stage")  # temp tables get no autovacuum statistics
    # Room for the duplicate check and the joins to hash in memory (the default 4 MB spills to disk).
    conn.exec_driver_sql("SET LOCAL work_mem = '64MB'")
    return n


def merge_rows(
    session: Session, project: str, guideline_version: str | None, source: str, read: RowSource
) -> tuple[int, int, int]:
    """Load the rows `read()` yields in the session's transaction; (staged, inserted, replaced).

    `read` may be called twice: a direct load that meets a duplicate key starts again staged.
    """
    conn = session.connection()
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
    now_dt = datetime.now(UTC)
    aggregates.lock(conn, project)  # before the emptiness check: another writer's rows count
    empty = conn.execute(text(_IS_EMPTY), {"p": project}).scalar_one()
    if empty:
        n = _direct(conn, project, guideline_version, source, now_dt, read())
        if n is not None:
            return n, n, 0
    staged = _stage(conn, read())
    if conn.exec_driver_sql(_HAS_DUPES).scalar_one():
        conn.exec_driver_sql(_DEDUPE)
    with aggregates.maintained(conn, project):
        return _merge_staged(conn, project, guideline_version, source, now_dt, staged)


def _merge_staged(
    conn: Connection, project: str, guideline_version: str | None, source: str, now_dt: datetime, staged: int
) -> tuple[int, int, int]:
    """History, update and insert from the deduplicated staging table; (staged, inserted, replaced)."""
    sqlite = conn.dialect.name == "sqlite"
    params = {"project": project, "now": _bound_time(conn, now_dt), "gv": guideline_version, "source": source}
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


def merge_few(
    session: Session, project: str, guideline_version: str | None, source: str, rows: Sequence[Any]
) -> tuple[int, int]:
    """Upsert a handful of rows without staging (webhook); (inserted, replaced). Same rules as merge_rows."""
    conn = session.connection()
    base = {"project": project, "gv": guideline_version, "source": source}
    base["now"] = _bound_time(conn, datetime.now(UTC))
    inserted = replaced = 0
    with aggregates.maintained(conn, project, [(r.task, r.item) for r in rows]):
        for r in rows:
            params = {**base, **r._asdict()}
            params["created_at"] = _row_time(conn, r.created_at)
            h = conn.execute(text(_HISTORY_ONE), params).rowcount
            u = conn.execute(text(_UPSERT_ONE), params).rowcount
            replaced += h
            inserted += u - h
    return inserted, replaced


def delete_by_external_id(session: Session, project: str, external_id: str, now: datetime) -> int:
    """Delete the rows of one tool annotation, keeping each deleted label in history; the rows deleted."""
    conn = session.connection()
    params = {"project": project, "now": _bound_time(conn, now), "ext": external_id}
    items = conn.execute(text(_ITEMS_OF_EXTERNAL_ID), params).all()
    with aggregates.maintained(conn, project, [(r.task, r.item) for r in items]):
        conn.execute(text(_HISTORY_DELETED_BY_EXTERNAL_ID), params)
        return conn.execute(text(_DELETE_BY_EXTERNAL_ID), params).rowcount


def drop_removed_results(session: Session, project: str, rows: Sequence[Any], now: datetime) -> int:
    """An updated tool annotation (`rows`, one external id) deletes its older rows it no longer has.

    E.g. a span removed in the tool: that row is deleted, its label kept in history. Returns the rows deleted.
    """
    conn = session.connection()
    ext = rows[0].external_id
    keep = {(r.task, r.item, r.annotator, r.span_key) for r in rows}
    stored = conn.execute(
        text(_OLDER_OF_EXTERNAL_ID),
        {"project": project, "ext": ext, "ts": _row_time(conn, rows[0].created_at)},
    ).all()
    gone = [r for r in stored if (r.task, r.item, r.annotator, r.span_key) not in keep]
    n = 0
    if not gone:
        return 0
    with aggregates.maintained(conn, project, [(r.task, r.item) for r in gone]):
        for r in gone:
            params = {"project": project, "now": _bound_time(conn, now), "id": r.id}
            conn.execute(text(_HISTORY_DELETED_BY_ID), params)
            n += conn.execute(text(_DELETE_BY_ID), params).rowcount
    return n


def upsert_gold(session: Session, project: str, rows: Iterable[Any]) -> tuple[int, int]:
    """Insert or overwrite gold answers (GoldRows), keeping each replaced answer in gold_history.

    Returns (rows written, answers changed).
    """
    conn = session.connection()
    now = _bound_time(conn, datetime.now(UTC))
    history, upsert = text(_GOLD_HISTORY), text(_UPSERT_GOLD)
    count = text(_COUNT_GOLD_HISTORY)
    before = conn.execute(count, {"p": project}).scalar_one()
    n = 0
    it = iter(rows)
    while batch := list(islice(it, BATCH)):
        params = [{"project": project, "now": now, **r._asdict()} for r in batch]
        # A gold answer decides the gold outcome of every rating of its item.
        with aggregates.maintained(conn, project, [(r.task, r.item) for r in batch]):
            conn.execute(history, params)  # before the upsert, which makes old and new labels equal
            conn.execute(upsert, params)
        n += len(batch)
    return n, conn.execute(count, {"p": project}).scalar_one() - before


def count_gold(session: Session, project: str) -> int:
    """How many gold answers the project has."""
    return session.connection().execute(text(_COUNT_GOLD), {"p": project}).scalar_one()


def iter_annotations(session: Session, project: str, chunk: int = BATCH) -> Iterator[tuple[Any, ...]]:
    """The project's rows in key order, fetched `chunk` at a time; created_at aware (UTC).

    Columns: task, item, annotator, label, span_start, span_end, created_at, duration_s, cohort,
    guideline_version, source, external_id.
    """
    a = Annotation
    stmt = (
        select(
            a.task,
            a.item,
            a.annotator,
            a.label,
            a.span_start,
            a.span_end,
            a.created_at,
            a.duration_s,
            a.cohort,
            a.guideline_version,
            a.source,
            a.external_id,
        )
        .where(a.project == project)
        .order_by(a.task, a.item, a.annotator, a.span_key)
        .execution_options(yield_per=chunk)
    )
    for row in session.execute(stmt):
        ts = row[6]
        # SQLite hands back naive datetimes; the store keeps UTC.
        yield (*row[:6], ts if ts.tzinfo else ts.replace(tzinfo=UTC), *row[7:])
