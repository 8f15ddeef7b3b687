"""Bulk loading for the annotation store: batched executemany on SQLite, COPY CSV on PostgreSQL.

Rows are tuples in STAGE_COLUMNS order (an `AnnotationRow`), created_at in the UTC text form
'YYYY-MM-DD HH:MM:SS.ffffff' that SQLite stores as it is and PostgreSQL reads with '+00'.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any, TypeVar

from sqlalchemy import Connection

BATCH = 20_000
STAGE_COLUMNS = "task, item, annotator, label, label_num, span_start, span_end, span_key, created_at, duration_s, cohort, external_id"
T = TypeVar("T")


def csv_field(value: Any) -> str:
    """A value as a COPY CSV field: None is empty (NULL), text is always quoted."""
    if value is None:
        return ""
    if isinstance(value, str):
        return '"' + value.replace('"', '""') + '"'
    return str(value)


def _csv_lines_quoted(batch: list[Any], tail: str) -> str:
    # Rows are plain tuples or AnnotationRows; created_at is field 8.
    return "".join(
        ",".join(csv_field(v + "+00" if k == 8 else v) for k, v in enumerate(r)) + tail + "\n" for r in batch
    )


def copy_csv(rows: Iterable[Any], tail: str = "") -> Iterator[tuple[str, int]]:
    """Rows as PostgreSQL COPY CSV in chunks of BATCH rows: (text, rows); `tail` ends every line.

    A chunk is first formatted without quoting text (only span_key is quoted, so '' is not NULL);
    if any field holds a comma, quote, newline or carriage return, the counts differ from what
    clean rows give and the chunk is formatted again with every text field quoted. Empty text other
    than span_key cannot occur (validation turns empty cohort/external_id into None; the others are
    required). Timestamps get '+00' (they are UTC).
    """
    commas = len(STAGE_COLUMNS.split(",")) - 1 + tail.count(",")
    quotes, newlines, crs = 2 + tail.count('"'), 1 + tail.count("\n"), tail.count("\r")
    it = iter(rows)
    while batch := list(islice(it, BATCH)):
        chunk = "".join(
            [
                f"{t},{i},{a},{lb},{'' if num is None else num},{'' if s0 is None else s0},"
                f'{"" if s1 is None else s1},"{sk}",{ts}+00,{"" if d is None else d},{"" if c is None else c},'
                f"{'' if e is None else e}{tail}\n"
                for t, i, a, lb, num, s0, s1, sk, ts, d, c, e in batch
            ]
        )
        n = len(batch)
        if (
            chunk.count(",") != n * commas
            or chunk.count('"') != n * quotes
            or chunk.count("\n") != n * newlines
            or chunk.count("\r") != n * crs
        ):
            chunk = _csv_lines_quoted(batch, tail)
        yield chunk, n


class _Failed:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


_END = object()


def prefetch(items: Iterable[T], depth: int = 4) -> Iterator[T]:
    """`items` produced by a worker thread up to `depth` ahead of the consumer.

    For PostgreSQL: the main thread mostly waits on the socket (without the GIL) while the server
    works, so reading and validating the next chunks overlaps with the server loading the last one.
    An exception in the worker is raised here; closing this iterator stops the worker.
    """
    q: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(x: Any) -> bool:
        while not stop.is_set():
            try:
                q.put(x, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for x in items:
                if not put(x):
                    return
            put(_END)
        except BaseException as exc:  # handed to the consumer, raised there with its traceback
            put(_Failed(exc))

    worker = threading.Thread(target=work, name="annobot-import-read", daemon=True)
    worker.start()
    try:
        while (x := q.get()) is not _END:
            if isinstance(x, _Failed):
                raise x.exc
            yield x
    finally:
        stop.set()
        worker.join()


def insert_many(conn: Connection, sql: str, rows: Iterable[tuple[Any, ...]]) -> int:
    """SQLite: executemany of a fixed INSERT in batches on the raw connection; returns the rows.

    SQLAlchemy's per-row processing is skipped: the values are already in their stored form.
    """
    cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    n = 0
    it = iter(rows)
    try:
        while batch := list(islice(it, BATCH)):
            cur.executemany(sql, batch)
            n += len(batch)
    finally:
        cur.close()
    return n


def copy_in(conn: Connection, sql: str, chunks: Iterable[tuple[str, int]]) -> int:
    """PostgreSQL: stream (CSV text, rows) chunks through a fixed COPY ... FROM STDIN; returns the rows."""
    raw = conn.connection.driver_connection
    n = 0
    try:
        with raw.cursor() as cur, cur.copy(sql) as copy:  # type: ignore[union-attr]
            for chunk, k in chunks:
                copy.write(chunk)
                n += k
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()  # stops a prefetch worker now, not when the generator is collected
    return n
