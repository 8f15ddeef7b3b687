"""Racing writers on PostgreSQL: one case per item, one flag per submission, one decision per case."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import pytest
from sqlalchemy import Engine, func, select

from bot.errors import ConflictError
from bot.store import flags as store
from bot.store.db import session_scope
from bot.store.models.flags import Flag, FlagCase, FlagDecision
from reports.flags.input import Decision
from tests.flags.conftest import flag_input

pytestmark = pytest.mark.postgres
T = TypeVar("T")


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


def _counts(engine: Engine) -> tuple[int, int, int]:
    with session_scope(engine) as session:
        return (
            session.scalar(select(func.count()).select_from(FlagCase)) or 0,
            session.scalar(select(func.count()).select_from(Flag)) or 0,
            session.scalar(select(func.count()).select_from(FlagDecision)) or 0,
        )


def test_twenty_concurrent_flags_on_one_item_make_one_case_with_twenty_flags(pg_engine: Engine) -> None:
    def file(i: int) -> store.FiledFlag:
        with session_scope(pg_engine) as session:  # each thread its own session and connection
            return store.file_flag(session, flag_input(filed_by=f"U{i}", idempotency_key=f"V{i}:h"))

    results = _race(20, file)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    filed = [r for r in results if isinstance(r, store.FiledFlag)]
    assert len({f.case_id for f in filed}) == 1
    assert len({f.flag_id for f in filed}) == 20
    assert sum(not f.joined_existing for f in filed) == 1  # exactly one opened the case
    assert _counts(pg_engine) == (1, 20, 0)
    with session_scope(pg_engine) as session:
        [case] = store.list_cases(session)
    assert sorted(f.filed_by for f in case.flags) == sorted(f"U{i}" for i in range(20))


def test_one_submission_delivered_ten_times_at_once_stores_one_flag(pg_engine: Engine) -> None:
    def file(_i: int) -> store.FiledFlag:
        with session_scope(pg_engine) as session:
            return store.file_flag(session, flag_input(idempotency_key="V1:same"))

    results = _race(10, file)
    filed = [r for r in results if isinstance(r, store.FiledFlag)]
    assert len(filed) == 10, results
    assert len({(f.flag_id, f.case_id) for f in filed}) == 1
    assert sum(not f.duplicate for f in filed) == 1
    # The losers' cases were removed again: one case, one flag.
    assert _counts(pg_engine) == (1, 1, 0)


def test_two_concurrent_adjudications_leave_one_decision(pg_engine: Engine) -> None:
    with session_scope(pg_engine) as session:
        case_id = store.file_flag(session, flag_input()).case_id
    labels = ["Negative", "Neutral"]

    def decide(i: int) -> store.DecisionRecord:
        with session_scope(pg_engine) as session:
            return store.adjudicate(session, case_id, Decision(labels[i], "other_right"), f"ULEAD{i}")

    results = _race(2, decide)
    won = [r for r in results if isinstance(r, store.DecisionRecord)]
    lost = [r for r in results if isinstance(r, BaseException)]
    assert len(won) == 1 and len(lost) == 1, results
    assert isinstance(lost[0], store.AlreadyAdjudicated) and isinstance(lost[0], ConflictError)
    assert f"by {won[0].decided_by}" in lost[0].message
    assert _counts(pg_engine) == (1, 1, 1)
    with session_scope(pg_engine) as session:
        case = store.get_case(session, case_id)
    assert case.status == "resolved" and case.decision == won[0]
    assert [e.kind for e in case.events] == ["resolved"]


def test_flags_racing_an_adjudication_never_join_a_resolved_case(pg_engine: Engine) -> None:
    with session_scope(pg_engine) as session:
        case_id = store.file_flag(session, flag_input(idempotency_key="V0:h")).case_id

    def work(i: int) -> object:
        with session_scope(pg_engine) as session:
            if i == 0:
                return store.adjudicate(session, case_id, Decision("Negative", "other_right"), "ULEAD")
            return store.file_flag(session, flag_input(filed_by=f"U{i}", idempotency_key=f"V{i}:h"))

    results = _race(12, work)
    assert not [r for r in results if isinstance(r, BaseException)], results
    with session_scope(pg_engine) as session:
        decided_at = store.get_case(session, case_id).decision.decided_at  # type: ignore[union-attr]
        cases = store.list_cases(session)
    # Every flag is in the first case (filed before its decision) or in one new open case.
    assert sum(len(c.flags) for c in cases) == 12
    assert [c.status for c in cases if c.id != case_id] in ([], ["open"])
    for flag in next(c for c in cases if c.id == case_id).flags:
        assert flag.filed_at <= decided_at
