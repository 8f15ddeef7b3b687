"""Issue 14 item 7: what the digest of a window reads follows the window, not the store: the gold of the
window's items only, and the index-or-scan choice counted without summing the project's history; the
figures stay those of the row path, on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from bot.imports.load import import_annotations, import_gold
from bot.store import digest_reads as reads
from bot.store.db import make_engine, session_scope
from bot.store.models.annotations import Annotation
from tests.aggregates.test_aggregates import DAYS, LABELS, T0, _csv, _digest_json, _history
from tests.support.guidelines import mini, run_cli


@pytest.fixture
def loaded(db_url: str, tmp_path: Path) -> Iterator[Engine]:
    """'reviews' (guideline 'mini') with 300 items over 20 days (two tasks), gold for about a fifth."""
    assert run_cli(db_url, "guidelines", "publish", str(mini(tmp_path))).exit_code == 0
    assert run_cli(db_url, "projects", "add", "reviews", "--guideline", "mini").exit_code == 0
    engine = make_engine(db_url)
    df, gold = _history(300, seed=11)
    import_annotations(engine, _csv(tmp_path / "a.csv", df), "reviews")
    import_gold(engine, _csv(tmp_path / "g.csv", gold), "reviews")
    yield engine
    engine.dispose()


def _pairs(frame: pd.DataFrame) -> list[tuple[str, str]]:
    return list(zip(frame["task"].astype(str), frame["item"].astype(str), strict=True))


def test_the_digest_reads_the_gold_of_the_window_items_only(loaded: Engine, tmp_path: Path) -> None:
    start, end = T0 + timedelta(days=9), T0 + timedelta(days=12)
    # Gold for an item of a task the window does not have: its task keeps a spec, its row is not read.
    gold_only = pd.DataFrame({"item_id": ["lonely"], "label": [LABELS[0]], "task": ["toxicity"]})
    import_gold(loaded, _csv(tmp_path / "g2.csv", gold_only), "reviews")
    with session_scope(loaded) as session:
        inputs = reads.digest_inputs(session, "reviews", start, end)
        every = reads.digest_inputs(session, "reviews", start, end, from_rows=True).gold
    window = set(_pairs(inputs.annotations))
    assert len(every) > len(inputs.gold) > 5  # the window holds some gold items, the store many more
    expected = every[[p in window for p in _pairs(every)]].sort_values(["task", "item"])
    pd.testing.assert_frame_equal(inputs.gold, expected.reset_index(drop=True))
    assert "toxicity" in inputs.tasks and "toxicity" not in set(inputs.annotations["task"].astype(str))
    for tz in ("UTC", "Asia/Kolkata"):
        assert _digest_json(loaded, start, end, tz, False) == _digest_json(loaded, start, end, tz, True)


def test_window_gold_reads_by_key_in_chunks(loaded: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    start, end = T0 + timedelta(days=3), T0 + timedelta(days=8)
    with session_scope(loaded) as session:
        df = reads.read_annotations(session, "reviews", start, end)
        whole = reads.window_gold(session, "reviews", df)
        monkeypatch.setattr(reads, "GOLD_CHUNK", 3)
        chunked = reads.window_gold(session, "reviews", df)
        none = reads.window_gold(session, "reviews", df.iloc[:0])
    assert len(whole) > 10
    pd.testing.assert_frame_equal(whole, chunked)
    assert list(none.columns) == ["task", "item", "label"] and len(none) == 0


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    first=st.integers(-24, 24 * (DAYS + 3)),
    hours=st.integers(1, 24 * 12),
    share=st.sampled_from([0.0, 0.05, 0.2, 0.4, 0.7, 1.0]),
)
def test_the_index_is_chosen_when_the_window_is_under_the_share_of_the_rows(
    loaded: Engine, first: int, hours: int, share: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    start: datetime = T0 + timedelta(hours=first)
    end = start + timedelta(hours=hours)
    monkeypatch.setattr(reads, "INDEX_SHARE", share)
    a = Annotation
    with session_scope(loaded) as session:
        total = session.execute(select(func.count()).where(a.project == "reviews")).scalar_one()
        window = session.execute(
            select(func.count()).where(a.project == "reviews", a.created_at >= start, a.created_at < end)
        ).scalar_one()
        got = reads._index_tasks(session, "reviews", start, end)
    assert got == (["sarcasm", "sentiment"] if share > 0 and window < share * total else None)
