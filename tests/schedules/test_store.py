"""digest_runs on SQLite and PostgreSQL: one claim per key, lease takeover, posted once, the tick query."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy import Engine, text

from bot.store import schedules as store
from bot.store.db import make_engine, session_scope

T = TypeVar("T")
DUE = datetime(2027, 3, 22, 8, tzinfo=UTC)
KEY = "morning@2027-03-22T08:00Z"
LEASE = timedelta(minutes=10)


def _claim(engine: Engine, replica: str, now: datetime, key: str = KEY, **kw: object) -> store.Run | None:
    with session_scope(engine) as session:
        return store.claim(session, key, replica, now, LEASE, schedule="morning", due=DUE, **kw)  # type: ignore[arg-type]


def _get(engine: Engine, key: str = KEY) -> store.Run | None:
    with session_scope(engine) as session:
        return store.get_run(session, key)


def test_the_first_claim_wins_and_a_second_replica_gets_nothing(engine: Engine) -> None:
    now = DUE + timedelta(seconds=20)
    run = _claim(engine, "replica-a", now)
    assert run is not None
    assert (run.status, run.claimed_by, run.attempts, run.due) == ("claimed", "replica-a", 1, DUE)
    assert run.lease_until == now + LEASE and run.claimed_at == now
    assert _claim(engine, "replica-b", now + timedelta(minutes=9)) is None  # lease still held
    assert _get(engine).claimed_by == "replica-a"  # type: ignore[union-attr]


def test_an_expired_lease_of_an_unposted_run_is_taken_over_once(engine: Engine) -> None:
    now = DUE + timedelta(seconds=20)
    _claim(engine, "replica-a", now)
    later = now + LEASE + timedelta(seconds=1)
    taken = _claim(engine, "replica-b", later)
    assert taken is not None and (taken.claimed_by, taken.attempts, taken.lease_until) == (
        "replica-b",
        2,
        later + LEASE,
    )
    assert _claim(engine, "replica-c", later) is None  # b holds it now
    # a, whose lease ran out, can no longer fail the run that b holds.
    with session_scope(engine) as session:
        assert not store.mark_failed(session, KEY, "replica-a", later, "timeout")
    assert _get(engine).status == "claimed"  # type: ignore[union-attr]


def test_a_posted_run_is_never_claimed_again_and_its_message_is_recorded_once(engine: Engine) -> None:
    now = DUE + timedelta(seconds=20)
    _claim(engine, "replica-a", now)
    with session_scope(engine) as session:
        assert store.mark_posted(session, KEY, now, "C0123456789", "1700000000.000100")
    with session_scope(engine) as session:  # a retry, or a replica whose lease ran out: no second message
        assert not store.mark_posted(session, KEY, now, "C0123456789", "1700000000.000999")
    run = _get(engine)
    assert run is not None
    assert (run.status, run.message_channel, run.message_ts, run.posted_at) == (
        "posted",
        "C0123456789",
        "1700000000.000100",
        now,
    )
    for later in (now + LEASE * 2, now + timedelta(days=30)):
        assert _claim(engine, "replica-b", later) is None
    assert _get(engine) == run


def test_a_late_claim_is_recorded_late_posted(engine: Engine) -> None:
    now = DUE + timedelta(hours=3)
    assert _claim(engine, "replica-a", now, late=True) is not None
    with session_scope(engine) as session:
        assert store.mark_posted(session, KEY, now, "C0123456789", "1.2")
    assert _get(engine).status == "late-posted"  # type: ignore[union-attr]


def test_a_failed_run_keeps_its_reason_and_is_retried_after_the_delay_up_to_a_limit(engine: Engine) -> None:
    now = DUE + timedelta(seconds=20)
    _claim(engine, "replica-a", now)
    with session_scope(engine) as session:
        assert store.mark_failed(
            session, KEY, "replica-a", now, "Slack 500 after 5 tries", timedelta(minutes=1)
        )
    run = _get(engine)
    assert run is not None and (run.status, run.reason, run.attempts) == (
        "failed",
        "Slack 500 after 5 tries",
        1,
    )
    assert _claim(engine, "replica-b", now + timedelta(seconds=30), max_attempts=2) is None  # not yet
    retry = _claim(engine, "replica-b", now + timedelta(minutes=2), max_attempts=2)
    assert retry is not None and (retry.status, retry.attempts) == ("claimed", 2)
    with session_scope(engine) as session:
        assert store.mark_failed(session, KEY, "replica-b", now + timedelta(minutes=2), "Slack 500 again")
    assert _claim(engine, "replica-c", now + timedelta(hours=1), max_attempts=2) is None  # the limit
    assert _get(engine).reason == "Slack 500 again"  # type: ignore[union-attr]


def test_a_skipped_run_is_final(engine: Engine) -> None:
    now = DUE + timedelta(hours=9)
    with session_scope(engine) as session:
        assert store.mark_skipped(
            session, KEY, schedule="morning", due=DUE, now=now, reason="beyond the grace"
        )
        assert not store.mark_skipped(session, KEY, schedule="morning", due=DUE, now=now, reason="again")
    assert _claim(engine, "replica-a", now + timedelta(days=1)) is None
    with session_scope(engine) as session:
        assert not store.mark_posted(session, KEY, now, "C1", "1.1")
    run = _get(engine)
    assert run is not None and (run.status, run.reason, run.message_ts) == (
        "skipped",
        "beyond the grace",
        None,
    )


def test_a_claimed_run_cannot_be_skipped(engine: Engine) -> None:
    _claim(engine, "replica-a", DUE)
    with session_scope(engine) as session:
        assert not store.mark_skipped(session, KEY, schedule="morning", due=DUE, now=DUE, reason="late")
    assert _get(engine).status == "claimed"  # type: ignore[union-attr]


def _seed(engine: Engine, days: int, schedules: int) -> None:
    with session_scope(engine) as session:
        for d in range(days):
            for s in range(schedules):
                due = DUE + timedelta(days=d)
                key = f"s{s}@{due:%Y-%m-%dT%H:%MZ}"
                store.mark_skipped(session, key, schedule=f"s{s}", due=due, now=due, reason="seed")


def test_list_runs_newest_first_of_one_schedule_or_all(engine: Engine) -> None:
    _seed(engine, days=3, schedules=2)
    with session_scope(engine) as session:
        runs = store.list_runs(session, schedule="s1")
        everything = store.list_runs(session, limit=4)
    assert [r.due for r in runs] == [DUE + timedelta(days=2), DUE + timedelta(days=1), DUE]
    assert {r.schedule for r in runs} == {"s1"}
    assert len(everything) == 4 and everything[0].due == DUE + timedelta(days=2)


def test_the_tick_query_reads_a_range_of_due_instants_over_the_index(engine: Engine) -> None:
    _seed(engine, days=30, schedules=5)
    with session_scope(engine) as session:
        recent = store.runs_due_between(session, DUE + timedelta(days=27, hours=23), DUE + timedelta(days=29))
    assert set(recent) == {
        f"s{s}@{DUE + timedelta(days=d):%Y-%m-%dT%H:%MZ}" for s in range(5) for d in (28, 29)
    }
    # The plan uses the index on due, however many runs the table holds.
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            plan = " ".join(
                str(r[-1])
                for r in conn.execute(
                    text("EXPLAIN QUERY PLAN SELECT * FROM digest_runs WHERE due > :a AND due <= :b"),
                    {"a": "2027-01-01", "b": "2027-02-01"},
                )
            )
        else:
            conn.execute(text("SET LOCAL enable_seqscan = off"))  # a tiny table would be scanned otherwise
            plan = " ".join(
                str(r[0])
                for r in conn.execute(
                    text("EXPLAIN SELECT * FROM digest_runs WHERE due > :a AND due <= :b"),
                    {"a": DUE, "b": DUE + timedelta(days=1)},
                )
            )
    assert "ix_digest_runs_due" in plan, plan


def _race(n: int, work: Callable[[int], T]) -> list[T | BaseException]:
    """Run work(0..n-1) on n threads released together by a barrier; results or the raised errors."""
    barrier = threading.Barrier(n, timeout=30)

    def run(i: int) -> T | BaseException:
        barrier.wait()
        try:
            return work(i)
        except Exception as exc:  # returned with its traceback; the test asserts on it
            return exc

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


@pytest.mark.postgres
def test_twenty_replicas_racing_for_one_new_run_key_make_one_claim(pg_engine: Engine) -> None:
    now = DUE + timedelta(seconds=5)
    results = _race(20, lambda i: _claim(pg_engine, f"replica-{i}", now))
    assert not [r for r in results if isinstance(r, BaseException)], results
    winners = [r for r in results if isinstance(r, store.Run)]
    assert len(winners) == 1
    assert _get(pg_engine) == winners[0]


@pytest.mark.postgres
def test_twenty_replicas_racing_to_take_over_an_expired_lease_make_one_claim(pg_engine: Engine) -> None:
    _claim(pg_engine, "replica-dead", DUE)
    later = DUE + LEASE + timedelta(seconds=1)
    results = _race(20, lambda i: _claim(pg_engine, f"replica-{i}", later))
    assert not [r for r in results if isinstance(r, BaseException)], results
    winners = [r for r in results if isinstance(r, store.Run)]
    assert len(winners) == 1 and winners[0].attempts == 2
    assert _get(pg_engine).claimed_by == winners[0].claimed_by  # type: ignore[union-attr]


def test_racing_threads_on_sqlite_make_one_claim_too(sqlite_template: Path, tmp_path: Path) -> None:
    path = tmp_path / "race.db"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    try:
        results = _race(8, lambda i: _claim(engine, f"replica-{i}", DUE))
        assert not [r for r in results if isinstance(r, BaseException)], results
        assert len([r for r in results if isinstance(r, store.Run)]) == 1
    finally:
        engine.dispose()
