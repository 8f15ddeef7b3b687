"""The import's two aggregate paths against the row path, on both backends: a load into an empty project
tallies the rows as they stream in (bot/store/aggregate_stream.py, no read-back), a merge into a project
with rows reads the touched items a chunk at a time. Arbitrary batches of rows, loaded straight or merged,
must give the aggregates computed from every stored row (`aggregates_from_rows`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, text

import bot.store.aggregate_stream as stream
import bot.store.aggregates as aggregates
from bot.imports.rows import AnnotationRow, GoldRow
from bot.store.annotations import merge_rows, upsert_gold
from bot.store.db import make_engine, session_scope
from tests.aggregates.test_aggregates import _assert_tables_match
from tests.support.guidelines import mini, run_cli

LABELS = ("Positive", "Negative", "Neutral")
# Instants around the edges of an hour's arithmetic: before 1970 (floor, not truncation), the last
# microsecond of an hour (SQLite's strftime rounds it to the next), a day's and a year's turn.
BASES = (
    datetime(2026, 10, 1, tzinfo=UTC),
    datetime(1969, 12, 31, 22, tzinfo=UTC),
    datetime(2025, 12, 31, 23, tzinfo=UTC),
)


@pytest.fixture
def store(db_url: str, tmp_path: Path) -> str:
    """db_url with guideline 'mini' and project 'reviews'."""
    assert run_cli(db_url, "guidelines", "publish", str(mini(tmp_path))).exit_code == 0
    assert run_cli(db_url, "projects", "add", "reviews", "--guideline", "mini").exit_code == 0
    return db_url


_ROW = st.tuples(
    st.sampled_from(["sentiment", "sarcasm"]),
    st.integers(0, 6),  # item
    st.integers(0, 4),  # annotator
    st.sampled_from(LABELS),
    st.integers(0, len(BASES) - 1),
    st.integers(0, 3),  # hour after the base
    st.sampled_from([0, 1, 1799, 3599]),  # second in the hour
    st.sampled_from([0, 999_499, 999_500, 999_999]),  # microsecond
    st.booleans(),  # a span row (left out of the aggregates)
)
_BATCHES = st.lists(st.lists(_ROW, min_size=1, max_size=25), min_size=1, max_size=4)
_GOLD = st.lists(
    st.tuples(st.sampled_from(["sentiment", "sarcasm"]), st.integers(0, 8), st.sampled_from(LABELS))
)


def _row(t: tuple[Any, ...]) -> AnnotationRow:
    task, item, who, label, base, hour, sec, micro, span = t
    at = BASES[base] + timedelta(hours=hour, seconds=sec, microseconds=micro)
    start, end = (3, 9) if span else (None, None)
    return AnnotationRow(
        task, f"i{item}", f"a{who}", label, None, start, end, f"{start}:{end}" if span else "",
        at.strftime("%Y-%m-%d %H:%M:%S.%f"), None, None, None,
    )  # fmt: skip


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    batches=_BATCHES,
    gold_before=_GOLD,
    gold_after=_GOLD,
    chunk=st.sampled_from([1, 2, 10_000]),
    group=st.sampled_from([1, 3, 500_000]),
)
def test_batches_loaded_straight_or_merged_give_the_row_paths_aggregates(
    store: str,
    batches: list[list[tuple[Any, ...]]],
    gold_before: list[tuple[str, int, str]],
    gold_after: list[tuple[str, int, str]],
    chunk: int,
    group: int,
) -> None:
    engine = make_engine(store)
    # Small chunks and groups: items split over several reads and several computations.
    saved = aggregates.TOUCHED_CHUNK, stream.GROUP_ROWS
    aggregates.TOUCHED_CHUNK, stream.GROUP_ROWS = chunk, group
    try:
        with session_scope(engine) as session:
            for table in ("annotations", "gold", "annotation_hours", "label_pair_hours"):
                session.execute(text(f"DELETE FROM {table} WHERE project = 'reviews'"))
        if gold_before:
            with session_scope(engine) as session:
                upsert_gold(session, "reviews", [GoldRow(t, f"i{i}", lab) for t, i, lab in dict(
                    ((t, i), (t, i, lab)) for t, i, lab in gold_before).values()])  # fmt: skip
        for batch in batches:
            rows = [_row(t) for t in batch]
            with session_scope(engine) as session:
                merge_rows(session, "reviews", "1.0.0", "csv", lambda rows=rows: iter(rows))
            _assert_tables_match(engine)
        if gold_after:
            with session_scope(engine) as session:
                upsert_gold(session, "reviews", [GoldRow(t, f"i{i}", lab) for t, i, lab in gold_after])
            _assert_tables_match(engine)
    finally:
        aggregates.TOUCHED_CHUNK, stream.GROUP_ROWS = saved
        engine.dispose()


def test_a_load_into_an_empty_project_reads_no_row_back(store: str) -> None:
    engine = make_engine(store)
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    rows = [_row(("sentiment", i % 7, i % 5, LABELS[i % 3], 0, i % 4, 1, 0, False)) for i in range(35)]
    try:
        with session_scope(engine) as session:
            upsert_gold(session, "reviews", [GoldRow("sentiment", "i1", "Negative")])
        event.listen(engine, "before_cursor_execute", seen)
        with session_scope(engine) as session:
            staged, inserted, replaced = merge_rows(session, "reviews", "1.0.0", "csv", lambda: iter(rows))
        event.remove(engine, "before_cursor_execute", seen)
        assert (staged, inserted, replaced) == (35, 35, 0)
        reads = [s for s in statements if "FROM annotations" in s or "JOIN annotations" in s]
        # Only the emptiness check: no read of the rows just loaded (the gold is read, being the project's).
        assert len(reads) == 1 and reads[0].lstrip().startswith("SELECT NOT EXISTS"), reads
        assert not any("annobot_stage" in s for s in statements)
        _assert_tables_match(engine)
    finally:
        engine.dispose()


def test_a_duplicate_key_in_the_file_goes_the_staged_way_with_the_same_aggregates(store: str) -> None:
    engine = make_engine(store)
    first = _row(("sentiment", 1, 1, "Positive", 0, 0, 1, 0, False))
    later = _row(("sentiment", 1, 1, "Negative", 0, 2, 1, 0, False))
    others = [_row(("sentiment", 1, w, "Negative", 0, 1, 5, 0, False)) for w in (2, 3)]
    try:
        with session_scope(engine) as session:
            staged, inserted, _ = merge_rows(
                session, "reviews", "1.0.0", "csv", lambda: iter([first, *others, later])
            )
        assert (staged, inserted) == (4, 3)  # the newest of the two rows of one key kept
        _assert_tables_match(engine)
    finally:
        engine.dispose()


def test_the_tally_of_many_rows_by_groups_equals_one_group() -> None:
    rows = [
        _row(("sentiment" if i % 3 else "sarcasm", i % 97, i % 5, LABELS[(i * 7) % 3], i % 3, i % 4, i % 60, 0,
              i % 11 == 0))
        for i in range(2_000)
    ]  # fmt: skip
    gold = [("sentiment", f"i{i}", LABELS[i % 3]) for i in range(0, 97, 4)] + [("sarcasm", "i3", "Maybe")]

    def tables(group: int) -> tuple[pd.DataFrame, pd.DataFrame]:
        tally = stream.LoadTally()
        assert list(tally.watch(iter(rows))) == rows
        saved, stream.GROUP_ROWS = stream.GROUP_ROWS, group
        try:
            return tally.tables(gold)
        finally:
            stream.GROUP_ROWS = saved

    one = tables(1_000_000)
    assert len(one[0]) > 50 and len(one[1]) > 50
    for group in (7, 300):
        parts = tables(group)
        pd.testing.assert_frame_equal(parts[0], one[0])
        pd.testing.assert_frame_equal(parts[1], one[1])
