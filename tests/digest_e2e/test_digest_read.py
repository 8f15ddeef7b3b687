"""The digest's fast read path: the same frame from SQLite and PostgreSQL, exact values, half-open window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import insert

from bot.store.aggregates import rebuild
from bot.store.db import make_engine, session_scope
from bot.store.digest_reads import COLUMNS, digest_inputs, read_annotations
from bot.store.models.annotations import Annotation
from reports.digest import TaskSpec, build_digest
from reports.digest.build import _frame_alpha, _pairs_previous_alpha
from reports.digest.model import Settings
from tests.support.guidelines import mini, run_cli

LABELS = ["Positive", "Negative", "Neutral"]
T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)
# Ids a CSV or COPY round trip could mangle: separators, quotes, newlines, empty-looking and non-ASCII text.
ITEMS = ["plain", "with,comma", 'with "quotes"', "two\nlines", "NULL", "ünï ✓", " padded ", "b", "a"]


def _rows() -> list[dict[str, object]]:
    rows = []
    rng = np.random.default_rng(3)
    for i, item in enumerate(ITEMS):
        for j, ann in enumerate(("ann-2", "ann-1", "ann-3")):
            rows.append(
                {
                    "item_id": item,
                    "annotator": ann,
                    "label": LABELS[int(rng.integers(3))],
                    "task": "sarcasm" if i % 3 == 0 else "sentiment",
                    # Microseconds survive; one row sits exactly on the window's end (excluded).
                    "created_at": T0 + timedelta(hours=i, minutes=j, microseconds=123457 * j),
                    "duration_s": None if j == 2 else float(rng.lognormal(2.5, 0.5)),
                    "cohort": None if j == 1 else ("north, east" if j == 0 else 'v"x'),
                    # Spans on one item: offsets read back exactly, NaN where a row has none.
                    "span_start": 3 if i == 4 else None,
                    "span_end": 2**31 - 1 if i == 4 else None,
                }
            )
    return rows


def _load(db_url: str, tmp: Path) -> list[dict[str, object]]:
    """Guideline and project through the CLI; the rows inserted directly (this tests reading, not import)."""
    rows = _rows()
    for args in (("guidelines", "publish", str(mini(tmp))), ("projects", "add", "p", "--guideline", "mini")):
        result = run_cli(db_url, *args)
        assert result.exit_code == 0, result.output
    engine = make_engine(db_url)
    with session_scope(engine) as session:
        session.execute(
            insert(Annotation),
            [
                {
                    **{k: v for k, v in r.items() if k != "item_id"},
                    "item": r["item_id"],
                    "project": "p",
                    "span_key": "" if r["span_start"] is None else f"{r['span_start']}:{r['span_end']}",
                    "guideline_version": "1.0.0",
                    "source": "csv",
                }
                for r in rows
            ],
        )
    engine.dispose()
    return rows


def _expected(rows: list[dict[str, object]], start: datetime | None, end: datetime | None) -> pd.DataFrame:
    keep = [
        r
        for r in rows
        if (start is None or r["created_at"] >= start) and (end is None or r["created_at"] < end)  # type: ignore[operator]
    ]
    df = pd.DataFrame(keep).rename(columns={"item_id": "item"})
    df["project"] = "p"
    df["guideline_version"] = "1.0.0"
    for c in ("project", "task", "item", "annotator", "label", "cohort", "guideline_version"):
        df[c] = pd.Categorical(df[c])  # sorted categories, None as missing
    df["created_at"] = pd.to_datetime(df["created_at"], utc=True).astype("datetime64[ns, UTC]")
    for c in ("duration_s", "span_start", "span_end"):
        df[c] = df[c].astype("float64")
    return df[list(COLUMNS)]


@pytest.mark.parametrize(
    "window",
    [(None, None), (T0 + timedelta(hours=2), T0 + timedelta(hours=5, minutes=1, microseconds=123457))],
)
def test_read_annotations_gives_the_exact_frame(db_url: str, tmp_path: Path, window) -> None:  # type: ignore[no-untyped-def]
    rows = _load(db_url, tmp_path)
    engine = make_engine(db_url)
    with session_scope(engine) as session:
        got = read_annotations(session, "p", *window)
    engine.dispose()
    # The same expected frame on both backends: dtypes, category order, row order (insertion), values.
    pd.testing.assert_frame_equal(got, _expected(rows, *window))


def test_empty_window_has_the_columns(db_url: str, tmp_path: Path) -> None:
    _load(db_url, tmp_path)
    engine = make_engine(db_url)
    with session_scope(engine) as session:
        got = read_annotations(session, "p", T0 - timedelta(days=9), T0 - timedelta(days=8))
    engine.dispose()
    assert list(got.columns) == list(COLUMNS) and len(got) == 0
    assert str(got["created_at"].dtype) == "datetime64[ns, UTC]" and got["duration_s"].dtype == np.float64


def test_previous_window_alpha_from_aggregates_is_the_frame_alpha(db_url: str, tmp_path: Path) -> None:
    # Every item's ratings lie in one hour, so pairing each with all its item's labels is plain alpha.
    _load(db_url, tmp_path)
    engine = make_engine(db_url)
    start, end = T0 + timedelta(hours=4), T0 + timedelta(hours=8)
    with session_scope(engine) as session:
        rebuild(session.connection(), "p")  # the rows went in around the writers
        inputs = digest_inputs(session, "p", start, end)
        previous = read_annotations(session, "p", start - (end - start), start)
    engine.dispose()
    assert inputs.aggregates.previous is not None and len(inputs.aggregates.previous)
    settings = Settings(min_pairable=1)
    got = _pairs_previous_alpha(inputs.aggregates.previous, inputs.tasks, settings)
    assert got is not None and got == pytest.approx(_frame_alpha(previous, inputs.tasks, settings), abs=1e-12)


def test_frame_alpha_matches_build_digest_on_two_tasks() -> None:
    from tests.digest.conftest import GRADES, SPECIES, two_tasks

    df, _ = two_tasks(4)
    specs = {"species": TaskSpec(SPECIES), "grade": TaskSpec(GRADES, "ordinal")}
    empty_gold = pd.DataFrame(columns=["task", "item", "label"])
    assert _frame_alpha(df, specs) == build_digest(df, empty_gold, specs, None).headline.alpha


def test_previous_and_baseline_aggregates_equal_the_row_path(db_url: str, tmp_path: Path) -> None:
    _load(db_url, tmp_path)
    engine = make_engine(db_url)
    start, end = T0 + timedelta(hours=6), T0 + timedelta(hours=8)  # previous: 2 h, baseline: 14 days
    with session_scope(engine) as session:
        rebuild(session.connection(), "p")
        stored = digest_inputs(session, "p", start, end).aggregates
        rows = digest_inputs(session, "p", start, end, from_rows=True).aggregates
    engine.dispose()
    assert stored.previous is not None and rows.previous is not None
    assert len(stored.previous) > 0 and len(stored.drift) > 0
    pd.testing.assert_frame_equal(stored.drift, rows.drift)
    pd.testing.assert_frame_equal(stored.previous, rows.previous)


def test_multiline_values_across_many_parser_blocks(db_url: str, tmp_path: Path) -> None:
    # PostgreSQL's COPY output is parsed in blocks of about 1 MB: a newline inside a quoted value
    # must not be taken for the end of a row wherever a block boundary falls.
    for args in (
        ("guidelines", "publish", str(mini(tmp_path))),
        ("projects", "add", "p", "--guideline", "mini"),
    ):
        assert run_cli(db_url, *args).exit_code == 0
    items = [f"item {i}\n" + 'line, with "quotes"\n' * 12 for i in range(8000)]  # ~3 MB of CSV
    engine = make_engine(db_url)
    with session_scope(engine) as session:
        session.execute(
            insert(Annotation),
            [
                {
                    "project": "p",
                    "task": "sentiment",
                    "item": item,
                    "annotator": "ann-1",
                    "label": "Positive",
                    "span_key": "",
                    "created_at": T0 + timedelta(seconds=i),
                    "source": "csv",
                }
                for i, item in enumerate(items)
            ],
        )
        got = read_annotations(session, "p", None, None)
    engine.dispose()
    assert got["item"].astype(str).tolist() == items
