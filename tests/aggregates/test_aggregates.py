"""Issue 14 item 7: the stored hourly aggregates equal the ones computed from every row, after any history
of writes (imports, re-imports, edits, webhook creates/updates/deletes, gold, adjudications), and the
digest read from them gives the same JSON as the row path, on both backends."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from bot.config import Config, ProjectConfig
from bot.hooks.label_studio import label_studio_wsgi
from bot.imports.load import import_annotations, import_gold
from bot.imports.rows import AnnotationRow, GoldRow
from bot.jobs.digest import EmptyWindowError, compute_digest
from bot.store import flags as flag_store
from bot.store.aggregates import read_hours, read_pairs, rebuild_all
from bot.store.annotations import delete_by_external_id, merge_few, upsert_gold
from bot.store.db import make_engine, session_scope
from bot.store.digest_reads import aggregates_from_rows
from reports.digest.hours import empty_annotators
from reports.flags.input import Decision
from reports.render import render_json
from tests.flags.conftest import flag_input
from tests.support.guidelines import mini, run_cli

LABELS = ("Positive", "Negative", "Neutral")
T0 = datetime(2026, 10, 1, tzinfo=UTC)
DAYS = 20
NOW = T0 + timedelta(days=DAYS + 3)


@pytest.fixture
def store(db_url: str, tmp_path: Path) -> str:
    """db_url with guideline 'mini' (Positive/Negative/Neutral) and project 'reviews'."""
    assert run_cli(db_url, "guidelines", "publish", str(mini(tmp_path))).exit_code == 0
    out = run_cli(db_url, "projects", "add", "reviews", "--guideline", "mini")
    assert out.exit_code == 0, out.output
    return db_url


def _history(n_items: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Items rated by 3-5 of 8 annotators; an item's ratings spread over up to about two days."""
    rng = np.random.default_rng(seed)
    names = np.array([f"ann-{j}" for j in range(8)])
    accuracy = rng.uniform(0.6, 0.95, len(names))
    rows = []
    truth = rng.integers(0, 3, n_items)
    base = rng.uniform(0, DAYS * 86_400, n_items)
    for i in range(n_items):
        task = "sentiment" if i % 4 else "sarcasm"
        for a in rng.choice(len(names), int(rng.integers(3, 6)), replace=False):
            label = truth[i] if rng.random() < accuracy[a] else int(rng.integers(0, 3))
            at = T0 + timedelta(seconds=float(base[i] + rng.exponential(8 * 3600)))
            rows.append((f"it-{i}", names[a], LABELS[label], task, at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")))
    df = pd.DataFrame(rows, columns=["item_id", "annotator", "label", "task", "created_at"])
    gold_items = rng.random(n_items) < 0.2
    gold = pd.DataFrame(
        {
            "item_id": [f"it-{i}" for i in np.flatnonzero(gold_items)],
            "label": [LABELS[t] for t in truth[gold_items]],
            "task": ["sentiment" if i % 4 else "sarcasm" for i in np.flatnonzero(gold_items)],
        }
    )
    return df, gold


def _csv(path: Path, frame: pd.DataFrame) -> Path:
    frame.to_csv(path, index=False, quoting=csv.QUOTE_MINIMAL)
    return path


def _ls(ann_id: int, item: int, who: int, label: str, updated: str, action: str) -> dict[str, Any]:
    return {
        "action": action,
        "annotation": {
            "id": ann_id, "task": item, "completed_by": {"id": who},
            "result": [{"id": "x", "from_name": "sentiment", "to_name": "text", "type": "choices",
                        "value": {"choices": [label]}}],
            "was_cancelled": False, "ground_truth": False, "lead_time": 3.2,
            "created_at": updated, "updated_at": updated,
        },
        "task": {"id": item, "data": {"text": "..."}},
        "project": {"id": 2, "title": "Reviews"},
    }  # fmt: skip


def _assert_tables_match(engine: Engine) -> tuple[int, int]:
    with session_scope(engine) as session:
        conn = session.connection()
        stored = read_hours(conn, "reviews", None, None), read_pairs(conn, "reviews", None, None)
        rows = aggregates_from_rows(session, "reviews")
    pd.testing.assert_frame_equal(stored[0], rows[0])
    pd.testing.assert_frame_equal(stored[1], rows[1])
    return len(stored[0]), len(stored[1])


def _digest_json(
    engine: Engine, start: datetime | None, end: datetime | None, tz: str, from_rows: bool
) -> str:
    try:
        digest = compute_digest(engine, "reviews", start, end, tz=tz, now=NOW, from_rows=from_rows)
    except EmptyWindowError:
        return "empty"
    return render_json(digest)


WINDOWS = [
    (T0 + timedelta(days=15), T0 + timedelta(days=16)),  # a UTC day
    (T0 + timedelta(days=15, hours=-1), T0 + timedelta(days=16, hours=-1)),  # a Berlin day
    (T0 + timedelta(days=12, hours=9, minutes=17, seconds=5), T0 + timedelta(days=19, hours=9, minutes=17)),
    (T0 + timedelta(days=2), T0 + timedelta(days=3, hours=5, minutes=30)),  # little baseline before it
    (None, None),
]


def test_aggregate_path_equals_row_path_after_every_kind_of_write(store: str, tmp_path: Path) -> None:
    engine = make_engine(store)
    try:
        df, gold = _history(900, seed=5)
        half = len(df) // 2
        # An import into the empty project (direct load), then one into a project with rows (staged).
        import_annotations(engine, _csv(tmp_path / "a1.csv", df.iloc[:half]), "reviews")
        _assert_tables_match(engine)
        import_annotations(engine, _csv(tmp_path / "a2.csv", df.iloc[half:]), "reviews")
        import_gold(engine, _csv(tmp_path / "g.csv", gold), "reviews")
        _assert_tables_match(engine)
        # Edits: 150 ratings relabelled later (replaced, with history), and the same file again (unchanged).
        edits = df.sample(150, random_state=1).copy()
        edits["label"] = [LABELS[(LABELS.index(x) + 1) % 3] for x in edits["label"]]
        edits["created_at"] = (NOW - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
        for _ in range(2):
            import_annotations(engine, _csv(tmp_path / "edits.csv", edits), "reviews")
        # Gold changed by a second gold file.
        regold = gold.sample(20, random_state=2).copy()
        regold["label"] = [LABELS[(LABELS.index(x) + 2) % 3] for x in regold["label"]]
        import_gold(engine, _csv(tmp_path / "g2.csv", regold), "reviews")
        _assert_tables_match(engine)
        # The Label Studio webhook: creates on existing and new items, updates, deletes.
        config = Config(database_url=store, projects=(ProjectConfig("reviews", "mini", (), "LS"),))
        hook = label_studio_wsgi(engine, config, env={"LS": "x"})
        for k in range(40):
            at = (T0 + timedelta(days=14, hours=k)).strftime("%Y-%m-%dT%H:%M:%SZ")
            hook.handle("reviews", _ls(k, k % 25, 100 + k % 7, LABELS[k % 3], at, "ANNOTATION_CREATED"))
        for k in range(0, 40, 3):
            at = (T0 + timedelta(days=15, hours=k)).strftime("%Y-%m-%dT%H:%M:%SZ")
            hook.handle("reviews", _ls(k, k % 25, 100 + k % 7, LABELS[(k + 1) % 3], at, "ANNOTATION_UPDATED"))
        hook.handle(
            "reviews", {"action": "ANNOTATIONS_DELETED", "annotations": [{"id": k} for k in range(1, 40, 5)]}
        )
        _assert_tables_match(engine)
        # Adjudications that add the final label to gold (a new gold item, a changed one).
        for item, label in (("it-3", "Negative"), (gold["item_id"].iloc[0], "Neutral"), ("it-8", "Positive")):
            task = "sarcasm" if int(item.split("-")[1]) % 4 == 0 else "sentiment"
            with session_scope(engine) as session:
                filed = flag_store.file_flag(session, flag_input(item_id=item))
            with session_scope(engine) as session:
                flag_store.adjudicate(
                    session,
                    filed.case_id,
                    Decision(label, "other_right", add_to_gold=True, task=task),
                    "ULEAD",
                )
        hours, pairs = _assert_tables_match(engine)
        assert hours > 500 and pairs > 500
        # A rebuild (what the migration and `annobot db rebuild-aggregates` do) changes nothing.
        with session_scope(engine) as session:
            rebuild_all(session.connection(), "reviews")
        _assert_tables_match(engine)

        seen_previous = seen_drift = 0
        for start, end in WINDOWS:
            for tz in ("UTC", "Europe/Berlin", "Asia/Kolkata"):
                agg = _digest_json(engine, start, end, tz, from_rows=False)
                rows = _digest_json(engine, start, end, tz, from_rows=True)
                assert agg == rows, (start, end, tz)
                seen_previous += '"alpha_previous": null' not in agg
                seen_drift += '"drift_points": []' not in agg
        assert seen_previous >= 6  # the comparison is not vacuous: the trend and drift charts have data
    finally:
        engine.dispose()


def test_rebuild_command_fills_the_tables_of_rows_written_around_the_writers(store: str) -> None:
    engine = make_engine(store)
    try:
        with session_scope(engine) as session:
            session.execute(
                text(
                    "INSERT INTO annotations (project, task, item, annotator, label, span_key, created_at, source,"
                    " updated_at) VALUES ('reviews', 'sentiment', 'i1', :a, :l, '', :t, 'csv', :t)"
                ),
                [
                    {"a": a, "l": lab, "t": T0 + timedelta(minutes=m)}
                    for m, (a, lab) in enumerate((("x", "Positive"), ("y", "Positive"), ("z", "Negative")))
                ],
            )
        with session_scope(engine) as session:
            assert read_hours(session.connection(), "reviews", None, None).equals(empty_annotators())
        result = run_cli(store, "db", "rebuild-aggregates", "--project", "reviews")
        assert result.exit_code == 0, result.output
        assert "reviews: 3 annotator-hours" in result.output
        assert _assert_tables_match(engine) == (3, 3)
        result = run_cli(store, "db", "rebuild-aggregates", "--project", "ghost")
        assert result.exit_code == 2 and "no project 'ghost'" in result.output
    finally:
        engine.dispose()


# --------------------------------------------------------------------------------------------------
# Random small histories of writes: after each history the stored tables equal the row path's, and a
# random window's digest is the same both ways.

_OPS = st.lists(
    st.tuples(
        st.sampled_from(["put", "put", "put", "delete", "gold"]),
        st.integers(0, 5),  # item
        st.integers(0, 4),  # annotator
        st.sampled_from(LABELS),
        st.integers(0, 24 * 6),  # hour after T0
        st.integers(0, 3599),  # second in the hour
    ),
    min_size=1,
    max_size=40,
)


def _apply(engine: Engine, ops: list[tuple[str, int, int, str, int, int]]) -> None:
    for kind, item, who, label, hour, sec in ops:
        at = T0 + timedelta(hours=hour, seconds=sec)
        with session_scope(engine) as session:
            if kind == "put":
                row = AnnotationRow(
                    "sentiment", f"i{item}", f"a{who}", label, None, None, None, "",
                    at.strftime("%Y-%m-%d %H:%M:%S.%f"), None, None, f"e{item}-{who}",
                )  # fmt: skip
                merge_few(session, "reviews", "1.0.0", "webhook", [row])
            elif kind == "delete":
                delete_by_external_id(session, "reviews", f"e{item}-{who}", at)
            else:
                upsert_gold(session, "reviews", [GoldRow("sentiment", f"i{item}", label)])


@pytest.mark.parametrize("tz", ["UTC", "America/St_Johns"])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=_OPS, window=st.tuples(st.integers(0, 24 * 6), st.integers(1, 24 * 3), st.integers(0, 3599)))
def test_random_histories_keep_the_aggregates_exact(
    store: str, tz: str, ops: list[tuple[str, int, int, str, int, int]], window: tuple[int, int, int]
) -> None:
    engine = make_engine(store)
    try:
        with session_scope(engine) as session:
            for table in ("annotations", "gold", "annotation_hours", "label_pair_hours"):
                session.execute(text(f"DELETE FROM {table} WHERE project = 'reviews'"))
        _apply(engine, ops)
        _assert_tables_match(engine)
        start = T0 + timedelta(hours=window[0], seconds=window[2])
        end = start + timedelta(hours=window[1])
        assert _digest_json(engine, start, end, tz, False) == _digest_json(engine, start, end, tz, True)
    finally:
        engine.dispose()


def test_a_small_window_read_by_index_is_the_frame_a_scan_reads(
    store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.store.digest_reads as reads

    engine = make_engine(store)
    try:
        df, _ = _history(300, seed=9)
        import_annotations(engine, _csv(tmp_path / "a.csv", df), "reviews")
        start, end = T0 + timedelta(days=7, hours=3), T0 + timedelta(days=8)
        with session_scope(engine) as session:
            assert reads._index_tasks(session, "reviews", start, end) == ["sarcasm", "sentiment"]
            by_index = reads.read_annotations(session, "reviews", start, end)
            monkeypatch.setattr(reads, "INDEX_SHARE", 0.0)
            assert reads._index_tasks(session, "reviews", start, end) is None
            by_scan = reads.read_annotations(session, "reviews", start, end)
        assert len(by_index) > 20
        pd.testing.assert_frame_equal(by_index, by_scan)
    finally:
        engine.dispose()
