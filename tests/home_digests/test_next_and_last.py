"""A schedule's next due instant (pure) and each schedule's newest run in one query (both backends)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from bot.jobs.schedule import on_demand_key
from bot.store import schedules as store
from bot.store.db import session_scope
from reports.schedule.upcoming import next_due
from tests.schedules.delivery_support import schedule


def test_next_due_is_the_first_instant_after_and_follows_daylight_saving() -> None:
    morning = schedule()  # weekdays 09:00 Europe/Berlin
    friday = datetime(2027, 3, 26, 8, 0, tzinfo=UTC)  # Friday 09:00 CET, exactly due
    assert next_due(morning, friday) == datetime(2027, 3, 29, 7, 0, tzinfo=UTC)  # Monday 09:00 CEST
    assert next_due(morning, friday - timedelta(seconds=1)) == friday


def test_next_due_skips_holidays_and_finds_rare_days() -> None:
    may_day = schedule(cron="0 9 1 5 *", holidays="DE")  # 1 May only, a public holiday in Germany
    assert next_due(may_day, datetime(2027, 1, 1, tzinfo=UTC)) is None
    leap = schedule(cron="0 9 29 2 *", working_days_only=True)
    # 29 February 2028 is a Tuesday.
    assert next_due(leap, datetime(2027, 3, 1, tzinfo=UTC)) == datetime(2028, 2, 29, 8, 0, tzinfo=UTC)


def test_a_schedule_that_never_posts_is_answered_quickly() -> None:
    # The config refuses a cron of no day ("0 9 30 2 *"); a day that is always a holiday passes it.
    never = schedule(cron="0 9 25 12 *", holidays="DE")
    start = time.perf_counter()
    assert next_due(never, datetime(2027, 1, 1, tzinfo=UTC)) is None
    assert time.perf_counter() - start < 2.0


def test_latest_runs_gives_each_schedules_newest_run(engine: Engine) -> None:
    base = datetime(2027, 3, 22, 8, 0, tzinfo=UTC)
    lease = timedelta(minutes=10)
    with session_scope(engine) as session:
        for day in range(3):
            due = base + timedelta(days=day)
            key = f"morning@{due:%Y-%m-%dT%H:%MZ}"
            store.claim(session, key, "a", due, lease, schedule="morning", due=due)
            store.mark_posted(session, key, due, "C0DIGEST1", f"170000000{day}.000100")
        store.mark_skipped(session, "evening@x", schedule="evening", due=base, now=base, reason="missed")
        asked = base + timedelta(days=2, hours=3)
        demand = on_demand_key(schedule(), asked)
        store.claim(session, demand, "home", asked, lease, schedule="morning", due=asked)
        store.mark_failed(session, demand, "home", asked, "HTTP 500")
    with session_scope(engine) as session:
        runs = store.latest_runs(session, ["morning", "evening", "weekly"])
    assert set(runs) == {"morning", "evening"}
    assert (runs["morning"].run_key, runs["morning"].status, runs["morning"].reason) == (
        demand,
        "failed",
        "HTTP 500",
    )
    assert runs["morning"].due == asked
    assert (runs["evening"].status, runs["evening"].reason) == ("skipped", "missed")
    with session_scope(engine) as session:
        assert store.latest_runs(session, []) == {}


def test_latest_runs_keeps_channel_runs_and_a_leads_own_dm_runs_apart(engine: Engine) -> None:
    due = datetime(2027, 3, 22, 8, 0, tzinfo=UTC)
    lease = timedelta(minutes=10)
    keys = {
        "channel": f"morning@{due:%Y-%m-%dT%H:%MZ}",
        "mine": f"morning@{due:%Y-%m-%dT%H:%MZ}/dm:ULEAD1",  # the same due instant as the channel run
        "theirs": f"morning@{due + timedelta(hours=1):%Y-%m-%dT%H:%MZ}/dm:ULEAD2",
        "like": f"morning@{due:%Y-%m-%dT%H:%MZ}/dm:ULEAD1X",  # ends otherwise: not ULEAD1's
    }
    with session_scope(engine) as session:
        for name, key in keys.items():
            at = due + timedelta(hours=1) if name == "theirs" else due
            store.claim(session, key, "a", at, lease, schedule="morning", due=at)
    with session_scope(engine) as session:
        channel = store.latest_runs(session, ["morning"], without_key_part="/dm:")
        mine = store.latest_runs(session, ["morning"], key_suffix="/dm:ULEAD1")
        everything = store.latest_runs(session, ["morning"])
        nobody = store.latest_runs(session, ["morning"], key_suffix="/dm:U%")
    assert channel["morning"].run_key == keys["channel"]
    assert mine["morning"].run_key == keys["mine"]
    assert everything["morning"].run_key == keys["theirs"]
    assert nobody == {}  # a LIKE wildcard in the suffix matches itself only
