"""The digest_schedules store and the job's one transaction per change (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from bot.authz.guard import Authorizer
from bot.config import Config, ReportsConfig
from bot.errors import ConflictError
from bot.jobs import quality_schedule
from bot.store import digest_schedules
from bot.store.db import session_scope
from tests.conftest import row_counts
from tests.quality_schedules.conftest import LEAD, P, stored

NOW = datetime(2027, 3, 22, 7, tzinfo=UTC)
FIELDS = {"projects": ["p"], "targets": ["C0QA12345"], "cron": "0 9 * * *", "timezone": "UTC"}


def test_of_two_concurrent_adds_of_one_name_one_is_stored(engine: Engine) -> None:
    barrier, outcomes = threading.Barrier(2), []

    def add(by: str) -> None:
        barrier.wait()
        try:
            with session_scope(engine) as session:
                digest_schedules.add_schedule(session, "same", FIELDS, by, NOW)
            outcomes.append("stored")
        except ConflictError:
            outcomes.append("conflict")

    threads = [threading.Thread(target=add, args=(u,)) for u in ("UA1", "UB1")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "stored"]
    assert list(stored(engine)) == ["same"]


def test_pause_resume_remove_report_whether_they_changed_anything(engine: Engine) -> None:
    with session_scope(engine) as session:
        digest_schedules.add_schedule(session, "s", FIELDS, LEAD, NOW)
        assert not digest_schedules.set_paused(session, "s", False, NOW)  # not paused
        assert digest_schedules.set_paused(session, "s", True, NOW)
        assert not digest_schedules.set_paused(session, "s", True, NOW)
        assert not digest_schedules.set_paused(session, "nope", True, NOW)
        assert digest_schedules.remove_schedule(session, "s")
        assert not digest_schedules.remove_schedule(session, "s")


def test_a_change_and_its_audit_row_commit_together(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    config = Config(reports=ReportsConfig(), projects=(P,))
    authorizer = Authorizer(config.projects)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the audit write failed")

    monkeypatch.setattr(quality_schedule, "audit_decision", broken)
    before = row_counts(engine)
    with pytest.raises(RuntimeError):
        quality_schedule.schedule_answer(
            engine, authorizer, config, LEAD, 'add s p "0 9 * * *" C0QA12345', NOW
        )
    assert row_counts(engine) == before  # no schedule without its audit row
