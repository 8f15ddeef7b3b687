"""Reading a project's annotations, gold and guideline facts from the store for the digest."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import BigInteger, Select, cast, func, literal, select, text
from sqlalchemy.orm import Session

from bot.store import aggregates as stored
from bot.store.guidelines import get_version, label_sections, version_labels
from bot.store.models.annotations import Annotation, Gold
from bot.store.models.guidelines import Guideline, GuidelineVersion
from bot.store.projects import get_project
from reports.digest.hours import Aggregates, hour_tables, hours_within, in_hours
from reports.digest.model import TaskSpec
from reports.metrics.counts import local_date

COLUMNS = (
    "project",
    "task",
    "item",
    "annotator",
    "label",
    "created_at",
    "cohort",
    "guideline_version",
    "duration_s",
    "span_start",
    "span_end",
)
NUMBERS = ("duration_s", "span_start", "span_end")  # float64, NaN when missing (offsets fit exactly)
TEXT = ("task", "item", "annotator", "label", "cohort", "guideline_version")
BASELINE_DAYS = 14  # drift baseline read before the window
CHUNK = 100_000  # rows fetched at a time from SQLite


@dataclass(frozen=True)
class DigestInputs:
    """Everything build_digest needs, read in one transaction."""

    project: str
    annotations: pd.DataFrame
    gold: pd.DataFrame
    tasks: dict[str, TaskSpec]
    aggregates: Aggregates  # the drift hours and the previous window's label pairs
    release_dates: tuple[date, ...]


def _window_select(
    project: str,
    start: datetime | None,
    end: datetime | None,
    created_at: Any,
    project_col: Any,
    tasks: list[str] | None = None,
) -> Select:
    """id, the text columns, `created_at` and `project` (as the caller's expressions), the numbers."""
    a = Annotation
    cols = [
        a.id,
        *(getattr(a, c) for c in TEXT),
        created_at.label("created_at"),
        *(getattr(a, c) for c in NUMBERS),
    ]
    stmt = select(*cols).where(project_col == project)
    if tasks is not None:
        stmt = stmt.where(a.task.in_(tasks))
    if start is not None:
        stmt = stmt.where(a.created_at >= start)
    if end is not None:
        stmt = stmt.where(a.created_at < end)
    return stmt


def _sorted_categorical(codes: np.ndarray, uniques: np.ndarray) -> pd.Categorical:
    """Codes into `uniques` (-1: missing) as a categorical whose categories are sorted."""
    order = np.argsort(uniques, kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    out = np.full(len(codes), -1, dtype=np.int64)
    ok = codes >= 0
    out[ok] = rank[codes[ok]]
    return pd.Categorical.from_codes(out, categories=pd.Index(uniques[order], dtype=object))


class _TextColumn:
    """A text column read in chunks: each chunk's strings become codes at once, categories sorted at the end."""

    def __init__(self) -> None:
        self.codes: list[np.ndarray] = []
        self.uniques: list[np.ndarray] = []

    def add(self, values: np.ndarray) -> None:
        """Encode one chunk (None is missing)."""
        codes, uniques = pd.factorize(values)
        self.codes.append(codes.astype(np.int64))
        self.uniques.append(np.asarray(uniques, dtype=object))

    def categorical(self) -> pd.Categorical:
        """All chunks as one categorical (the same as `_arrow_categorical` for the same strings)."""
        if not self.codes:
            return pd.Categorical([])
        # The chunks' unique strings, merged: chunk code j at offset o becomes merged[o + j].
        merged, uniques = pd.factorize(np.concatenate(self.uniques))
        merged = np.append(merged, -1)  # where missing (-1) codes point
        offsets = np.cumsum([0] + [len(u) for u in self.uniques[:-1]])
        codes = np.concatenate(
            [merged[np.where(c >= 0, c + off, -1)] for c, off in zip(self.codes, offsets, strict=True)]
        )
        return _sorted_categorical(codes, np.asarray(uniques, dtype=object))


def _arrow_categorical(column: Any) -> pd.Categorical:
    """An Arrow string column as a categorical with sorted categories, without a Python string per row."""
    enc = column.combine_chunks().dictionary_encode()
    codes = enc.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    return _sorted_categorical(codes, np.asarray(enc.dictionary.to_pylist(), dtype=object))


def _frame(project: str, ids: np.ndarray, cols: dict[str, Any]) -> pd.DataFrame:
    """The annotations frame in row id order, so both backends give identical frames."""
    order = np.argsort(ids, kind="stable")
    out = {"project": pd.Categorical.from_codes(np.zeros(len(ids), dtype=np.int8), categories=[project])}
    for name in COLUMNS[1:]:
        out[name] = cols[name][order]
    return pd.DataFrame(out)


# The project's tasks by a skip scan of the (project, task, created_at) index: one seek per task.
_TASKS = text(
    "WITH RECURSIVE t(task) AS ("
    " SELECT MIN(task) FROM annotations WHERE project = :p"
    " UNION ALL SELECT (SELECT MIN(task) FROM annotations WHERE project = :p AND task > t.task)"
    " FROM t WHERE t.task IS NOT NULL)"
    " SELECT task FROM t WHERE task IS NOT NULL"
)
# The same over the gold's (project, task, item) key: the tasks with gold, without reading the gold.
_GOLD_TASKS = text(
    "WITH RECURSIVE t(task) AS ("
    " SELECT MIN(task) FROM gold WHERE project = :p"
    " UNION ALL SELECT (SELECT MIN(task) FROM gold WHERE project = :p AND task > t.task)"
    " FROM t WHERE t.task IS NOT NULL)"
    " SELECT task FROM t WHERE task IS NOT NULL"
)
INDEX_SHARE = 0.4  # a window under this share of the project's rows is read through the index
# The gold of a list of a task's items, the list bound as one parameter (a JSON array on SQLite, an array
# on PostgreSQL): an IN list of one parameter per item cost 2-3x more to compile and bind than the lookups.
_GOLD_OF_ITEMS = {
    "sqlite": "SELECT task, item, label FROM gold WHERE project = :p AND task = :t"
    " AND item IN (SELECT value FROM json_each(:items))",
    "postgresql": "SELECT task, item, label FROM gold WHERE project = :p AND task = :t AND item = ANY(:items)",
}
GOLD_CHUNK = 50_000  # window items looked up in the gold at a time


def _index_tasks(
    session: Session, project: str, start: datetime | None, end: datetime | None
) -> list[str] | None:
    """The project's tasks when the window is a small part of its rows (read it by index), else None (scan).

    Through the index each row costs a random table lookup, so a large window is faster by a scan (1M rows:
    10 s vs 4 s); a day of a 60-day store is far faster by the index. Everything is counted in the index
    alone, and the rows outside the window only until there are enough of them: what this costs follows
    the window, not the store (the sum of the project's hourly aggregates, read before, grew with it).
    """
    if start is None or end is None or INDEX_SHARE <= 0:
        return None
    tasks = [r[0] for r in session.execute(_TASKS, {"p": project}).all()]
    if not tasks:
        return None
    a = Annotation
    mine = (a.project == project, a.task.in_(tasks))
    window = session.execute(
        select(func.count()).where(*mine, a.created_at >= start, a.created_at < end)
    ).scalar_one()
    # window < share * (window + outside)  <=>  outside > window * (1 - share) / share
    need = int(window * (1 - INDEX_SHARE) / INDEX_SHARE) + 1
    outside = 0
    for side in (a.created_at < start, a.created_at >= end):
        some = select(literal(1)).where(*mine, side).limit(need - outside).subquery()
        outside += session.execute(select(func.count()).select_from(some)).scalar_one()
        if outside >= need:
            return tasks
    return None


def _read_sqlite(
    session: Session, project: str, start: datetime | None, end: datetime | None
) -> pd.DataFrame:
    # SQLAlchemy compiles and binds (datetimes in the store's text form); the rows come as plain tuples
    # from the DBAPI cursor, skipping per-row Row objects and Python datetime parsing. Each chunk's
    # strings become categoricals at once, so at most CHUNK rows of Python strings are alive.
    # `project || ''` keeps SQLite off the (project, task, created_at) index for a large window:
    # visiting it through the index costs a random table lookup per row (see _index_tasks).
    tasks = _index_tasks(session, project, start, end)
    project_col = Annotation.project if tasks is not None else Annotation.project.concat("")
    stmt = _window_select(project, start, end, Annotation.created_at, project_col, tasks)
    names = ["id", *TEXT, "created_at", *NUMBERS]
    text = {c: _TextColumn() for c in TEXT}
    ids: list[np.ndarray] = []
    stamps: list[np.ndarray] = []
    numbers: dict[str, list[np.ndarray]] = {c: [] for c in NUMBERS}
    result = session.connection().execute(stmt)
    try:
        cursor = result.cursor  # type: ignore[attr-defined]
        while rows := cursor.fetchmany(CHUNK):
            raw = pd.DataFrame.from_records(rows, columns=names, nrows=len(rows))
            del rows
            for c in TEXT:
                text[c].add(raw[c].to_numpy(dtype=object))
            ids.append(raw["id"].to_numpy(dtype=np.int64))
            ts = pd.to_datetime(raw["created_at"], format="ISO8601", utc=True)
            stamps.append(ts.astype("datetime64[ns, UTC]").to_numpy(dtype="datetime64[ns]"))
            for c in NUMBERS:
                numbers[c].append(pd.to_numeric(raw[c], errors="coerce").to_numpy(dtype="float64"))
    finally:
        result.close()
    cols: dict[str, Any] = {c: text[c].categorical() for c in TEXT}
    stamp = np.concatenate(stamps) if stamps else np.zeros(0, dtype="datetime64[ns]")
    cols["created_at"] = pd.DatetimeIndex(stamp).tz_localize("UTC").array
    for c in NUMBERS:
        cols[c] = np.concatenate(numbers[c]) if numbers[c] else np.zeros(0)
    return _frame(project, np.concatenate(ids) if ids else np.zeros(0, dtype=np.int64), cols)


def _read_postgres(
    session: Session, project: str, start: datetime | None, end: datetime | None
) -> pd.DataFrame:
    # COPY (SELECT ...) TO STDOUT streams the window as CSV and pyarrow parses it in C. Timestamps travel
    # as integer microseconds since the epoch: exact, no time-zone text to parse.
    import pyarrow as pa
    import pyarrow.csv as pacsv

    micros = cast(func.extract("epoch", Annotation.created_at) * 1_000_000, BigInteger)
    # The task list completes the (project, task, created_at) index's condition: with the project and
    # the time alone PostgreSQL (no skip scan before 18) walks the project's whole part of the index.
    tasks = None if start is None and end is None else [r[0] for r in session.execute(_TASKS, {"p": project})]
    stmt = _window_select(project, start, end, micros, Annotation.project, tasks)
    conn = session.connection()
    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    buf = io.BytesIO()
    sql = f"COPY ({compiled}) TO STDOUT WITH (FORMAT csv, HEADER)"
    raw = conn.connection.driver_connection
    with raw.cursor() as cur, cur.copy(sql, compiled.params) as copy:  # type: ignore[union-attr]
        for block in copy:
            buf.write(block)
    buf.seek(0)
    types = {"id": pa.int64(), "created_at": pa.int64(), **{c: pa.float64() for c in NUMBERS}}
    types.update({c: pa.string() for c in TEXT})
    table = pacsv.read_csv(
        buf,
        # Ids and cohorts may hold newlines inside quotes; without this pyarrow splits its blocks
        # at any newline and a block boundary inside a value breaks the parse.
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types=types,
            null_values=[""],  # COPY writes NULL as an empty field; "NULL" or "NA" are real text
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
        ),
    )
    del buf
    cols: dict[str, Any] = {c: _arrow_categorical(table.column(c)) for c in TEXT}
    micros_arr = table.column("created_at").to_numpy().astype(np.int64)
    cols["created_at"] = pd.to_datetime(micros_arr * 1000, utc=True).astype("datetime64[ns, UTC]").array
    for c in NUMBERS:
        cols[c] = table.column(c).to_numpy(zero_copy_only=False).astype("float64")
    return _frame(project, table.column("id").to_numpy().astype(np.int64), cols)


def read_annotations(
    session: Session, project: str, start: datetime | None, end: datetime | None
) -> pd.DataFrame:
    """The project's annotations with start <= created_at < end (None: open), as build_digest reads them.

    Columns COLUMNS in row id order; text columns categorical, created_at tz-aware UTC, duration_s and
    the span offsets float64 (NaN: none; a row with offsets is a span).
    """
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        return _read_postgres(session, project, start, end)
    return _read_sqlite(session, project, start, end)


def aggregates_from_rows(session: Session, project: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The project's hourly aggregates computed from every row and the gold (the row path)."""
    rows = read_annotations(session, project, None, None)
    return hour_tables(rows, _gold(session, project))


def _gold(session: Session, project: str) -> pd.DataFrame:
    gold_rows = session.execute(select(Gold.task, Gold.item, Gold.label).where(Gold.project == project)).all()
    return pd.DataFrame(gold_rows, columns=["task", "item", "label"])


def window_gold(session: Session, project: str, annotations: pd.DataFrame) -> pd.DataFrame:
    """The gold of the items the window's annotations rate (by task and item), in (task, item) order.

    The digest compares only these with gold; reading them by key costs what the window does, where the
    project's whole gold grows with its history.
    """
    rows: list[Any] = []
    if len(annotations):
        conn = session.connection()
        sqlite = conn.dialect.name == "sqlite"
        sql = text(_GOLD_OF_ITEMS["sqlite" if sqlite else "postgresql"])
        items = annotations.groupby("task", observed=True)["item"].unique()
        for task, values in items.items():
            keys = sorted({str(v) for v in values})
            for i in range(0, len(keys), GOLD_CHUNK):
                chunk = keys[i : i + GOLD_CHUNK]
                bound = json.dumps(chunk) if sqlite else chunk
                result = conn.execute(sql, {"p": project, "t": str(task), "items": bound})
                try:
                    rows += result.cursor.fetchall()  # type: ignore[attr-defined]
                finally:
                    result.close()
    rows.sort(key=lambda r: (r[0], r[1]))
    return pd.DataFrame(rows, columns=["task", "item", "label"])


def read_aggregates(
    session: Session, project: str, start: datetime | None, end: datetime | None, from_rows: bool = False
) -> Aggregates:
    """What the digest of [start, end) reads beyond its window, from the stored tables or from every row.

    Drift: the whole UTC hours in [start - BASELINE_DAYS, end); the previous window: the whole hours in
    [start - (end - start), start) (none for an open window).
    """
    base_start = None if start is None else start - timedelta(days=BASELINE_DAYS)
    drift_range = hours_within(base_start, end)
    prev_range = hours_within(start - (end - start), start) if start is not None and end is not None else None
    if from_rows:
        hours, pairs = aggregates_from_rows(session, project)
        return Aggregates(
            in_hours(hours, *drift_range), None if prev_range is None else in_hours(pairs, *prev_range)
        )
    conn = session.connection()
    drift = stored.read_hours(conn, project, *drift_range)
    previous = None if prev_range is None else stored.read_pairs(conn, project, *prev_range)
    return Aggregates(drift, previous)


def digest_inputs(
    session: Session,
    project: str,
    start: datetime | None,
    end: datetime | None,
    tz: str = "UTC",
    *,
    from_rows: bool = False,
) -> DigestInputs:
    """The window's annotations (None: all), the hourly aggregates before it, gold and task specs.

    Only the window is read as rows; the drift baseline and the previous window come from the stored
    aggregates (from_rows: computed from every row instead, the reference they must equal).
    Release dates are the local days (in `tz`) the guideline versions were published.
    """
    proj = get_project(session, project)
    current = get_version(session, proj.guideline)
    labels = tuple(current.labels)
    df = read_annotations(session, project, start, end)
    aggs = read_aggregates(session, project, start, end, from_rows)
    # Only the window's items are compared with gold; the row path reads it whole (the reference).
    gold = (
        _gold(session, project)
        if from_rows or start is None or end is None
        else window_gold(session, project, df)
    )
    gold_tasks = {r[0] for r in session.execute(_GOLD_TASKS, {"p": project}).all()}
    sections = label_sections(session, proj.guideline, current.version, labels)
    spec = TaskSpec(
        labels=labels,
        scale=current.scale,
        guideline=proj.guideline,
        version=current.version,
        label_sections=sections,
        version_labels=version_labels(session, proj.guideline),
    )  # type: ignore[arg-type]
    # A task with gold but no rows in the window still has a spec (the previous window's trend reads it).
    tasks = {str(t): spec for t in sorted(set(df["task"].dropna()) | gold_tasks)}
    releases = session.scalars(
        select(GuidelineVersion.published_at).join(Guideline).where(Guideline.slug == proj.guideline)
    ).all()
    return DigestInputs(
        project=project,
        annotations=df,
        gold=gold,
        tasks=tasks,
        aggregates=aggs,
        release_dates=tuple(sorted({local_date(r, tz) for r in releases})),
    )
