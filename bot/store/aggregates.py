"""The hourly aggregates of reports/digest/hours.py in the store: kept by every writer, read by the digest.

Every function of bot/store/annotations.py that inserts, replaces or deletes annotations or gold runs
inside `maintained(...)`: the touched items' rows (and gold) are read before and after the write, both
are aggregated, and the difference is added to the tables, in the writer's transaction. A rating's
contributions depend on its item's labels only, so the items touched are all that can change; many
touched items are read and aggregated a chunk of items at a time (TOUCHED_CHUNK), so memory follows the
chunk, not the write. A load into an empty project writes the aggregates its loader tallied from the
rows as they streamed in (`write_load`, bot/store/aggregate_stream.py). On PostgreSQL the writers
of one project take a transaction-level advisory lock first, so two concurrent writers never read the
same "before".
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import pandas as pd
from sqlalchemy import Connection, text

from bot.store.aggregate_stream import LoadTally
from bot.store.bulk import BATCH, copy_in, csv_field
from reports.digest.hours import (
    ANNOTATOR_COLUMNS,
    PAIR_COLUMNS,
    add_tables,
    canonical,
    empty_annotators,
    empty_pairs,
    hour_tables,
    small_delta,
    small_tables,
    sum_tables,
)

_LOCK = "SELECT pg_advisory_xact_lock(7214, hashtext(:p))"  # 7214: this module's lock namespace
_LOCK_SHARED = "SELECT pg_advisory_xact_lock_shared(7214, hashtext(:p))"
# One item: a bigint key (a separate space from the two-int project keys).
_LOCK_ITEM = "SELECT pg_advisory_xact_lock(hashtextextended(:k, 7214))"
# The hour from the text's 'YYYY-MM-DD' and 'HH' alone: strftime('%s') of the whole time rounds to
# milliseconds (23:59:59.9996 is the next hour) and SQLite's `/` truncates (wrong before 1970); a day's
# start divides exactly.
_HOUR_SQLITE = (
    "(CAST(strftime('%s', substr(a.created_at, 1, 10)) AS INTEGER) / 3600"
    " + CAST(substr(a.created_at, 12, 2) AS INTEGER))"
)
_HOUR_POSTGRES = "CAST(floor(extract(epoch FROM a.created_at) / 3600) AS BIGINT)"
# The touched items numbered 1..N (in key order): chunks are ranges of n.
_TOUCHED_SQLITE = (
    "CREATE TEMP TABLE IF NOT EXISTS annobot_touched_items (n INTEGER PRIMARY KEY, task TEXT, item TEXT)"
)
_TOUCHED_POSTGRES = (
    "CREATE TEMP TABLE IF NOT EXISTS annobot_touched_items (n BIGINT PRIMARY KEY, task TEXT, item TEXT)"
    " ON COMMIT DELETE ROWS"
)
_CLEAR_TOUCHED = "DELETE FROM annobot_touched_items"
_ADD_TOUCHED = "INSERT INTO annobot_touched_items (n, task, item) VALUES (:n, :task, :item)"
# Only the staged rows the merge will insert or relabel touch their items (bot.store.annotations:
# _INSERT_NEW, _UPDATE): re-importing an unchanged file touches nothing. One LEFT JOIN: `NOT EXISTS (…)
# OR EXISTS (…)` is two correlated subplans a row, which PostgreSQL ran as a scan each (a 300,000-row
# import into a project with rows took over 20 minutes before the first merge statement).
_STAGE_MATCH = (
    "a.project = :p AND a.task = s.task AND a.item = s.item AND a.annotator = s.annotator"
    " AND a.span_key = s.span_key"
)
_TOUCHED_FROM_STAGE = (
    "INSERT INTO annobot_touched_items (n, task, item)"
    " SELECT ROW_NUMBER() OVER (ORDER BY d.task, d.item), d.task, d.item FROM ("
    f"SELECT DISTINCT s.task, s.item FROM annobot_stage s LEFT JOIN annotations a ON {_STAGE_MATCH}"
    " WHERE a.id IS NULL OR (s.created_at > a.created_at AND s.label <> a.label)) AS d"
)
# With the touched items: CROSS JOIN keeps SQLite's join order (each touched item, then the unique key's
# index of annotations or gold); without it SQLite scans the project's rows once per touched item.
_ROWS = (
    "SELECT a.task, a.item, a.annotator, a.label, {hour} AS hour FROM {source}"
    " WHERE a.project = :p AND a.span_key = ''{where}"
)
_TOUCHED_ROWS = "annobot_touched_items t CROSS JOIN annotations a"
_TOUCHED_WHERE = " AND t.n > :lo AND t.n <= :hi AND a.task = t.task AND a.item = t.item"
_GOLD = "SELECT g.task, g.item, g.label FROM {source} WHERE g.project = :p{where}"
_TOUCHED_GOLD = "annobot_touched_items t CROSS JOIN gold g"
_TOUCHED_GOLD_WHERE = " AND t.n > :lo AND t.n <= :hi AND g.task = t.task AND g.item = t.item"
_ALL_ROWS = "annotations a"
_ALL_GOLD = "gold g"
_TASK_WHERE = " AND a.task = :t"
_GOLD_TASK_WHERE = " AND g.task = :t"
_ONE_ITEM = " AND a.task = :t AND a.item = :i"
_ONE_GOLD = " AND g.task = :t AND g.item = :i"
# Every shape of the rows read, spelled out from constants (the SQL rules test: no runtime value is
# ever formatted into SQL): by (dialect, touched items only, one task only), and of one item by dialect.
_ROWS_SQL = {
    ("sqlite", False, False): _ROWS.format(hour=_HOUR_SQLITE, source=_ALL_ROWS, where=""),
    ("sqlite", False, True): _ROWS.format(hour=_HOUR_SQLITE, source=_ALL_ROWS, where=_TASK_WHERE),
    ("sqlite", True, False): _ROWS.format(hour=_HOUR_SQLITE, source=_TOUCHED_ROWS, where=_TOUCHED_WHERE),
    ("sqlite", True, True): _ROWS.format(
        hour=_HOUR_SQLITE, source=_TOUCHED_ROWS, where=_TOUCHED_WHERE + _TASK_WHERE
    ),
    ("postgresql", False, False): _ROWS.format(hour=_HOUR_POSTGRES, source=_ALL_ROWS, where=""),
    ("postgresql", False, True): _ROWS.format(hour=_HOUR_POSTGRES, source=_ALL_ROWS, where=_TASK_WHERE),
    ("postgresql", True, False): _ROWS.format(
        hour=_HOUR_POSTGRES, source=_TOUCHED_ROWS, where=_TOUCHED_WHERE
    ),
    ("postgresql", True, True): _ROWS.format(
        hour=_HOUR_POSTGRES, source=_TOUCHED_ROWS, where=_TOUCHED_WHERE + _TASK_WHERE
    ),
}
_GOLD_SQL = {
    (False, False): _GOLD.format(source=_ALL_GOLD, where=""),
    (False, True): _GOLD.format(source=_ALL_GOLD, where=_GOLD_TASK_WHERE),
    (True, False): _GOLD.format(source=_TOUCHED_GOLD, where=_TOUCHED_GOLD_WHERE),
    (True, True): _GOLD.format(source=_TOUCHED_GOLD, where=_TOUCHED_GOLD_WHERE + _GOLD_TASK_WHERE),
}
_ONE_ITEM_SQL = {
    "sqlite": _ROWS.format(hour=_HOUR_SQLITE, source=_ALL_ROWS, where=_ONE_ITEM),
    "postgresql": _ROWS.format(hour=_HOUR_POSTGRES, source=_ALL_ROWS, where=_ONE_ITEM),
}
_ONE_GOLD_SQL = _GOLD.format(source=_ALL_GOLD, where=_ONE_GOLD)
_ANALYZE_AT = 1000  # touched items from which PostgreSQL gets statistics of the temporary table
_TASKS = "SELECT DISTINCT task FROM annotations WHERE project = :p"
# Positional markers (?; %s on PostgreSQL): run through the driver's executemany.
_UPSERT_HOURS = """
INSERT INTO annotation_hours (project, hour, task, annotator, n, gold_n, gold_err, loo_n, loo_err)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (project, hour, task, annotator) DO UPDATE SET
  n = annotation_hours.n + excluded.n, gold_n = annotation_hours.gold_n + excluded.gold_n,
  gold_err = annotation_hours.gold_err + excluded.gold_err, loo_n = annotation_hours.loo_n + excluded.loo_n,
  loo_err = annotation_hours.loo_err + excluded.loo_err
"""
_UPSERT_PAIRS = """
INSERT INTO label_pair_hours (project, hour, task, label, other, m, s)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (project, hour, task, label, other, m) DO UPDATE SET s = label_pair_hours.s + excluded.s
"""
_DROP_EMPTY_HOUR = (
    "DELETE FROM annotation_hours WHERE project = ? AND hour = ? AND task = ? AND annotator = ? AND n = 0"
)
_DROP_EMPTY_PAIR = (
    "DELETE FROM label_pair_hours WHERE project = ? AND hour = ? AND task = ?"
    " AND label = ? AND other = ? AND m = ? AND s = 0"
)
_DELETE_HOURS = "DELETE FROM annotation_hours WHERE project = :p"
_DELETE_PAIRS = "DELETE FROM label_pair_hours WHERE project = :p"
_READ_HOURS = (
    "SELECT task, annotator, hour, n, gold_n, gold_err, loo_n, loo_err FROM annotation_hours"
    " WHERE project = :p AND hour >= :first AND hour < :stop"
)
_READ_PAIRS = (
    "SELECT task, hour, label, other, m, s FROM label_pair_hours"
    " WHERE project = :p AND hour >= :first AND hour < :stop"
)
_PROJECTS = "SELECT name FROM projects ORDER BY name"
# Open ends of a range of hours (epoch hours fit easily).
_FAR = 1 << 40


def _hour(conn: Connection) -> str:
    return _HOUR_SQLITE if conn.dialect.name == "sqlite" else _HOUR_POSTGRES


def lock(conn: Connection, project: str, items: list[tuple[str, str]] | None = None) -> None:
    """Serialise the aggregate upkeep of writers that touch the same items (PostgreSQL; SQLite has one writer).

    A writer of a few known items (the webhook, an adjudication) shares the project's lock and takes each
    item's own, in key order: writers of different items run at once (their increments meet only in the
    atomic upserts, made in key order). Any other writer takes the project's lock alone.
    """
    if conn.dialect.name != "postgresql":
        return
    if items is None:
        conn.execute(text(_LOCK), {"p": project})
        return
    conn.execute(text(_LOCK_SHARED), {"p": project})
    for task, item in items:  # sorted by the caller: no two writers wait on each other in a cycle
        conn.execute(text(_LOCK_ITEM), {"k": "\x1f".join((project, task, item))})


def _touched_table(conn: Connection) -> None:
    conn.exec_driver_sql(_TOUCHED_SQLITE if conn.dialect.name == "sqlite" else _TOUCHED_POSTGRES)
    conn.exec_driver_sql(_CLEAR_TOUCHED)


def _frame(conn: Connection, sql: str, params: dict[str, Any], columns: Iterable[str]) -> pd.DataFrame:
    result = conn.execute(text(sql), params)
    try:
        # Plain DBAPI tuples: building a frame from Row objects costs more than the query.
        rows = result.cursor.fetchall()  # type: ignore[attr-defined]
    finally:
        result.close()
    return pd.DataFrame(rows, columns=list(columns))


def _state(
    conn: Connection,
    project: str,
    touched: bool,
    task: str | None = None,
    chunk: tuple[int, int] = (0, 0),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(rows, gold) of the touched items numbered (lo, hi] (or of the project / one task of it)."""
    params: dict[str, Any] = {"p": project}
    by_task = task is not None
    if by_task:
        params["t"] = task
    if touched:
        params["lo"], params["hi"] = chunk
    sql = _ROWS_SQL[(conn.dialect.name, touched, by_task)]
    rows = _frame(conn, sql, params, ("task", "item", "annotator", "label", "hour"))
    gold_sql = _GOLD_SQL[(touched, by_task)]
    gold = _frame(conn, gold_sql, params, ("task", "item", "label"))
    return rows, gold


_HOUR_COLS = ("project", "hour", "task", "annotator", "n", "gold_n", "gold_err", "loo_n", "loo_err")
_PAIR_COLS = ("project", "hour", "task", "label", "other", "m", "s")
# A fresh table's plain inserts, by table: (COPY for PostgreSQL, INSERT for SQLite, columns).
_FRESH = {
    "annotation_hours": (
        "COPY annotation_hours (project, hour, task, annotator, n, gold_n, gold_err, loo_n, loo_err)"
        " FROM STDIN (FORMAT csv)",
        "INSERT INTO annotation_hours (project, hour, task, annotator, n, gold_n, gold_err, loo_n, loo_err)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        _HOUR_COLS,
    ),
    "label_pair_hours": (
        "COPY label_pair_hours (project, hour, task, label, other, m, s) FROM STDIN (FORMAT csv)",
        "INSERT INTO label_pair_hours (project, hour, task, label, other, m, s) VALUES (?, ?, ?, ?, ?, ?, ?)",
        _PAIR_COLS,
    ),
}


def _tuples(table: pd.DataFrame, cols: tuple[str, ...], project: str) -> list[tuple[Any, ...]]:
    """Rows as plain tuples in `cols` order (tolist gives Python ints, no per-value boxing checks)."""
    values = [[project] * len(table)] + [table[c].tolist() for c in cols[1:]]
    return list(zip(*values, strict=True))


def _marks(conn: Connection, sql: str) -> str:
    return sql.replace("?", "%s") if conn.dialect.name == "postgresql" else sql


def _executemany(conn: Connection, sql: str, rows: list[tuple[Any, ...]]) -> None:
    """The driver's executemany (SQLAlchemy's per-row parameter handling costs more than the inserts)."""
    cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        for k in range(0, len(rows), BATCH):
            cur.executemany(_marks(conn, sql), rows[k : k + BATCH])
    finally:
        cur.close()


def _insert_fresh(conn: Connection, table: str, rows: list[tuple[Any, ...]]) -> None:
    """Plain inserts into a table without the project's rows: COPY on PostgreSQL, executemany on SQLite."""
    if not rows:
        return
    copy_sql, insert_sql, _ = _FRESH[table]
    if conn.dialect.name == "postgresql":
        lines = (
            "".join(",".join(csv_field(v) for v in r) + "\n" for r in rows[k : k + BATCH])
            for k in range(0, len(rows), BATCH)
        )
        copy_in(conn, copy_sql, ((x, 0) for x in lines))
        return
    _executemany(conn, insert_sql, rows)


def _add(conn: Connection, project: str, annotators: pd.DataFrame, pairs: pd.DataFrame) -> None:
    """Add the (signed) tables to the store's; rows that reach zero are removed."""
    if len(annotators):
        rows = _tuples(annotators, _HOUR_COLS, project)
        _executemany(conn, _UPSERT_HOURS, rows)
        gone = [r[:4] for r in rows if r[4] < 0]
        if gone:
            _executemany(conn, _DROP_EMPTY_HOUR, gone)
    if len(pairs):
        rows = _tuples(pairs, _PAIR_COLS, project)
        _executemany(conn, _UPSERT_PAIRS, rows)
        gone = [r[:6] for r in rows if r[6] < 0]
        if gone:
            _executemany(conn, _DROP_EMPTY_PAIR, gone)


SMALL = 20  # touched items up to which each is read by its key and aggregated in plain Python


def _small_state(conn: Connection, project: str, keys: list[tuple[str, str]]) -> Any:
    """The touched items' rows and gold by their keys (the unique indexes), as small_tables takes them."""
    rows: list[tuple[Any, ...]] = []
    gold: dict[tuple[str, str], str] = {}
    row_sql = text(_ONE_ITEM_SQL[conn.dialect.name])
    gold_sql = text(_ONE_GOLD_SQL)
    for task, item in keys:
        params = {"p": project, "t": task, "i": item}
        rows += [tuple(r) for r in conn.execute(row_sql, params).all()]
        gold.update({(r[0], r[1]): r[2] for r in conn.execute(gold_sql, params).all()})
    return small_tables(rows, gold)  # type: ignore[arg-type]


def _add_small(conn: Connection, project: str, delta: Any) -> None:
    hours = [(project, h, t, a, *v) for (t, a, h), v in sorted(delta[0].items())]
    pairs = [(project, h, t, lab, o, m, v) for (t, h, lab, o, m), v in sorted(delta[1].items())]
    if hours:
        _executemany(conn, _UPSERT_HOURS, hours)
        gone = [r[:4] for r in hours if r[4] < 0]
        if gone:
            _executemany(conn, _DROP_EMPTY_HOUR, gone)
    if pairs:
        _executemany(conn, _UPSERT_PAIRS, pairs)
        gone = [r[:6] for r in pairs if r[6] < 0]
        if gone:
            _executemany(conn, _DROP_EMPTY_PAIR, gone)


@contextmanager
def maintained(
    conn: Connection, project: str, items: Iterable[tuple[str, str]] | None = None
) -> Iterator[None]:
    """Keep the aggregates right across a write to the items (task, item); None: the staged rows' items."""
    keys = None if items is None else sorted(set(items))
    small = keys is not None and len(keys) <= SMALL
    lock(conn, project, keys if small else None)
    if small:
        assert keys is not None
        # A webhook event: a few index lookups and dict sums, no temporary table, no pandas.
        before = _small_state(conn, project, keys)
        yield
        _add_small(conn, project, small_delta(_small_state(conn, project, keys), before))
        return
    _touched_table(conn)
    if keys is None:
        n = conn.execute(text(_TOUCHED_FROM_STAGE), {"p": project}).rowcount
    else:
        conn.execute(text(_ADD_TOUCHED), [{"n": k, "task": t, "item": i} for k, (t, i) in enumerate(keys, 1)])
        n = len(keys)
    if n >= _ANALYZE_AT and conn.dialect.name == "postgresql":
        conn.exec_driver_sql("ANALYZE annobot_touched_items")  # temporary tables get no autovacuum statistics
    before = _touched_tables(conn, project, n)
    yield
    after = _touched_tables(conn, project, n)
    _add(
        conn,
        project,
        add_tables(after[0], before[0], "annotators", -1),
        add_tables(after[1], before[1], "pairs", -1),
    )
    conn.exec_driver_sql(_CLEAR_TOUCHED)


TOUCHED_CHUNK = 10_000  # touched items read and aggregated at once (a few hundred bytes a row read)


def _touched_tables(conn: Connection, project: str, n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The aggregates of the touched items 1..n, summed over chunks of items (each item whole in one)."""
    parts = [
        hour_tables(*_state(conn, project, touched=True, chunk=(lo, lo + TOUCHED_CHUNK)))
        for lo in range(0, n, TOUCHED_CHUNK)
    ]
    return parts[0] if len(parts) == 1 else sum_tables(parts)


def write_load(conn: Connection, project: str, tally: LoadTally) -> tuple[int, int]:
    """The aggregates of a load into an empty project from what its loader tallied; (hour rows, pair rows).

    The project's rows are exactly the rows loaded: nothing is read back but the project's gold.
    """
    conn.execute(text(_DELETE_HOURS), {"p": project})  # what rows written around the writers left
    conn.execute(text(_DELETE_PAIRS), {"p": project})
    result = conn.execute(text(_GOLD_SQL[(False, False)]), {"p": project})
    try:
        gold = result.cursor.fetchall()  # type: ignore[attr-defined]
    finally:
        result.close()
    annotators, pairs = tally.tables(gold)
    _insert_fresh(conn, "annotation_hours", _tuples(annotators, _HOUR_COLS, project))
    _insert_fresh(conn, "label_pair_hours", _tuples(pairs, _PAIR_COLS, project))
    return len(annotators), len(pairs)


def rebuild(conn: Connection, project: str) -> tuple[int, int]:
    """Recompute one project's aggregates from its rows and gold, task by task; (hour rows, pair rows)."""
    lock(conn, project)
    conn.execute(text(_DELETE_HOURS), {"p": project})
    conn.execute(text(_DELETE_PAIRS), {"p": project})
    n_hours = n_pairs = 0
    for (task,) in conn.execute(text(_TASKS), {"p": project}).all():
        annotators, pairs = hour_tables(*_state(conn, project, touched=False, task=task))
        _insert_fresh(conn, "annotation_hours", _tuples(annotators, _HOUR_COLS, project))
        _insert_fresh(conn, "label_pair_hours", _tuples(pairs, _PAIR_COLS, project))
        n_hours, n_pairs = n_hours + len(annotators), n_pairs + len(pairs)
    return n_hours, n_pairs


def rebuild_all(conn: Connection, project: str | None = None) -> dict[str, tuple[int, int]]:
    """Rebuild the aggregates of one project or of every project; per project (hour rows, pair rows)."""
    names = [project] if project is not None else [r[0] for r in conn.execute(text(_PROJECTS)).all()]
    return {name: rebuild(conn, name) for name in names}


def _bounds(first: int | None, stop: int | None) -> dict[str, int]:
    return {"first": -_FAR if first is None else first, "stop": _FAR if stop is None else stop}


def read_hours(conn: Connection, project: str, first: int | None, stop: int | None) -> pd.DataFrame:
    """The annotator-hour rows of hours [first, stop) (None: open), in the pure module's form."""
    table = _frame(conn, _READ_HOURS, {"p": project, **_bounds(first, stop)}, ANNOTATOR_COLUMNS)
    return canonical(table, "annotators") if len(table) else empty_annotators()


def read_pairs(conn: Connection, project: str, first: int | None, stop: int | None) -> pd.DataFrame:
    """The label-pair-hour rows of hours [first, stop) (None: open), in the pure module's form."""
    table = _frame(conn, _READ_PAIRS, {"p": project, **_bounds(first, stop)}, PAIR_COLUMNS)
    return canonical(table, "pairs") if len(table) else empty_pairs()


def from_rows(conn: Connection, project: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The project's aggregates computed from every row (the row path the stored tables must equal)."""
    return hour_tables(*_state(conn, project, touched=False))
