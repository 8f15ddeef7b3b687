"""bot/scheduler.py: APScheduler calls the tick on its own thread with the injected clock; stop() stops it."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from bot.fakeslack import FakeSlack
from bot.scheduler import DigestScheduler, start_scheduler
from reports.schedule.model import NAME
from tests.schedules.delivery_support import client, config, history, posts, schedule, seed
from tests.support.guidelines import run_cli

DUE = datetime(2027, 3, 22, 8, tzinfo=UTC)


def test_the_background_scheduler_ticks_on_the_injected_clock_until_stopped(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    seed(db_url, tmp_path, datetime(2027, 3, 21, 9, tzinfo=UTC))
    clock = [DUE - timedelta(minutes=1)]  # before the run is due: the first ticks post nothing
    with FakeSlack() as fake:
        sched = DigestScheduler(
            engine, config(schedule()), client(fake), interval=timedelta(seconds=0.2), clock=lambda: clock[0]
        ).start()
        try:
            assert sched.running
            time.sleep(0.6)
            assert fake.calls("chat.postMessage") == []
            clock[0] = DUE + timedelta(seconds=10)
            fake.wait_for("chat.postMessage", timeout=10)
        finally:
            sched.stop()
        assert not sched.running
        time.sleep(0.5)  # ticks keep coming? none: the run is posted once and nothing runs after stop()
        assert len(posts(fake)) == 1
    [run] = history(db_url)
    assert run["status"] == "posted" and run["claimed_by"] == sched.replica


def test_the_scheduler_starts_without_digests_in_the_config(engine: Engine) -> None:
    # Leads may add schedules from Slack at any time: a tick with none reads one table and returns.
    sched = start_scheduler(engine, config(), client=None, interval=timedelta(hours=1))  # type: ignore[arg-type]
    try:
        assert sched.running
        assert sched.tick_now() is not None
    finally:
        sched.stop()


def test_a_tick_interval_must_be_positive(engine: Engine) -> None:
    with pytest.raises(ValueError, match="positive"):
        DigestScheduler(engine, config(), None, interval=timedelta(0))  # type: ignore[arg-type]


def test_importing_the_scheduler_starts_nothing() -> None:
    import subprocess
    import sys

    code = "import bot.scheduler, bot.jobs.schedule, threading, sys; print(threading.active_count(), 'apscheduler.schedulers.background' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["1", "False"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(min_size=1, max_size=60).filter(lambda s: not s.startswith("-")))
@example(name="a\x00b")
@example(name="morning")
@example(name="morning'; DROP TABLE digest_runs; --")
def test_history_of_any_schedule_name_is_an_answer_not_an_error(
    db_url: str, engine: Engine, name: str
) -> None:
    # --schedule is typed by a user: a slug is looked up (a bound parameter), anything else refused.
    result = run_cli(db_url, "digests", "history", "--schedule", name)
    if NAME.fullmatch(name):
        assert result.exit_code == 0, result.output
        assert result.output.startswith("no digest runs recorded")
    else:
        assert result.exit_code == 2 and "--schedule: not a schedule name" in result.output
