"""The tick posts Slack-added schedules; paused ones post nothing, and resuming never posts a backlog."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event

from bot.config import Config, ReportsConfig
from bot.fakeslack import FakeSlack
from bot.jobs.schedule import tick
from bot.jobs.schedule_source import PAUSED_REASON, ScheduleEntry, all_schedules
from bot.store import digest_schedules
from bot.store.db import session_scope
from tests.quality_schedules.conftest import CONFIGURED, LEAD, P, Q, ask, stored
from tests.schedules.delivery_support import client, history, posts, schedule, seed
from tests.support.guidelines import run_cli

TARGET = "C0QA12345"


def _config(*digests: Any) -> Config:
    return Config(reports=ReportsConfig(), projects=(P, Q), digests=digests)


def _to_target(fake: FakeSlack) -> list[Any]:
    return [c for c in posts(fake) if c.params["channel"] == TARGET]


def test_a_tick_posts_a_schedule_added_from_slack(
    make_bot: Any, db_url: str, tmp_path: Path, fake: FakeSlack
) -> None:
    seed(db_url, tmp_path, datetime.now(UTC).replace(microsecond=0) - timedelta(hours=20))
    bot, cfg = make_bot(), _config(CONFIGURED)
    ask(bot, f'schedule add hourly p "0 * * * *" UTC <#{TARGET}|qa> charts=off html=off', user=LEAD)
    added = stored(bot.engine)["hourly"].active_since
    due = added.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    slack = client(fake)
    # Before its first due instant nothing is posted (the run of the hour it was added in is not its own).
    # (Only the Slack schedule's runs are looked at: the config's may be due too, by the time of day.)
    first = tick(bot.engine, cfg, slack, added + timedelta(seconds=1), "r1").posted
    assert [k for k in first if k.startswith("hourly@")] == []
    done = tick(bot.engine, cfg, slack, due + timedelta(seconds=30), "r1")
    key = f"hourly@{due:%Y-%m-%dT%H:%MZ}"
    assert key in done.posted
    [post] = _to_target(fake)
    assert "Quality digest for p" in post.params["text"]
    again = tick(bot.engine, cfg, slack, due + timedelta(minutes=2), "r2").posted
    assert [k for k in again if k.startswith("hourly@")] == []
    assert len(_to_target(fake)) == 1
    assert [r["status"] for r in history(db_url, "--schedule", "hourly")] == ["posted"]


T0 = datetime(2027, 3, 22, 7, tzinfo=UTC)  # a Monday; the schedule is due daily at 09:00 UTC


def _add(engine: Engine, name: str = "daily") -> None:
    fields = {"projects": ["p"], "targets": [TARGET], "cron": "0 9 * * *", "timezone": "UTC"}
    fields |= {"charts": False, "html": False}
    with session_scope(engine) as session:
        digest_schedules.add_schedule(session, name, fields, LEAD, T0)


def _pause(engine: Engine, paused: bool, at: datetime) -> bool:
    with session_scope(engine) as session:
        return digest_schedules.set_paused(session, "daily", paused, at)


def test_paused_runs_are_recorded_skipped_and_resume_posts_none_late(
    db_url: str, engine: Engine, tmp_path: Path, fake: FakeSlack
) -> None:
    seed(db_url, tmp_path, datetime(2027, 3, 21, 9, tzinfo=UTC))
    cfg, slack = _config(), client(fake)
    _add(engine)
    assert _pause(engine, True, T0 + timedelta(hours=1))
    at_nine = T0 + timedelta(hours=2)
    done = tick(engine, cfg, slack, at_nine + timedelta(minutes=1), "r1")
    assert done.skipped == ["daily@2027-03-22T09:00Z"] and done.posted == []
    assert _pause(engine, False, at_nine + timedelta(minutes=30))
    # Resumed inside the grace: the run due while paused stays skipped, never posted late.
    assert tick(engine, cfg, slack, at_nine + timedelta(minutes=31), "r1").posted == []
    nxt = at_nine + timedelta(days=1)
    assert tick(engine, cfg, slack, nxt + timedelta(minutes=1), "r1").posted == ["daily@2027-03-23T09:00Z"]
    assert len(_to_target(fake)) == 1
    runs = {r["run_key"]: (r["status"], r["reason"]) for r in history(db_url, "--schedule", "daily")}
    assert runs == {
        "daily@2027-03-22T09:00Z": ("skipped", PAUSED_REASON),
        "daily@2027-03-23T09:00Z": ("posted", None),
    }


def test_runs_due_while_paused_and_no_bot_ran_are_not_posted_after_resume(
    db_url: str, engine: Engine, tmp_path: Path, fake: FakeSlack
) -> None:
    seed(db_url, tmp_path, datetime(2027, 3, 21, 9, tzinfo=UTC))
    _add(engine)
    _pause(engine, True, T0 + timedelta(hours=1))
    resumed = T0 + timedelta(hours=3)  # 10:00, after the 09:00 run nobody ticked for
    _pause(engine, False, resumed)
    done = tick(engine, _config(), client(fake), resumed + timedelta(minutes=1), "r1")
    assert done.posted == [] and done.skipped == [] and _to_target(fake) == []
    assert history(db_url, "--schedule", "daily") == []


def test_the_accessor_gives_config_then_slack_schedules_with_their_source(engine: Engine) -> None:
    _add(engine)
    _add(engine, "config-morning")  # taken by the config since: the config wins
    with session_scope(engine) as session:
        entries = all_schedules(session, _config(CONFIGURED))
    assert [(e.schedule.name, e.source) for e in entries] == [
        ("config-morning", "config"),
        ("daily", "slack"),
    ]
    assert entries[0].read_only and not entries[1].read_only
    assert entries[1].active_since == T0


def test_live_keeps_the_due_instants_after_active_since() -> None:
    s = schedule()
    dues = (T0, T0 + timedelta(hours=1), T0 + timedelta(hours=2))
    assert ScheduleEntry(s, "config").live(dues) == dues
    assert ScheduleEntry(s, "slack", active_since=T0 + timedelta(hours=1)).live(dues) == dues[2:]


def test_annobot_digests_post_dry_run_finds_a_slack_added_schedule(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    seed(db_url, tmp_path, datetime(2027, 3, 21, 9, tzinfo=UTC))
    _add(engine)
    result = run_cli(db_url, "digests", "post", "daily", "--dry-run")
    assert result.exit_code == 0, result.output
    [message] = json.loads(result.output)
    assert (message["project"], message["channels"]) == ("p", [TARGET])


def test_a_config_without_digests_ticks_nothing_and_fails_nothing(engine: Engine, fake: FakeSlack) -> None:
    cfg = dataclasses.replace(_config(), projects=())
    assert tick(engine, cfg, client(fake), T0, "r1").posted == []


def test_a_tick_reads_the_schedules_once_and_the_runs_once_however_many_schedules(
    engine: Engine, fake: FakeSlack
) -> None:
    def statements(count: int) -> list[str]:
        with session_scope(engine) as session:
            for i in range(len(stored(engine)), count):
                fields = {"projects": ["p"], "targets": [TARGET], "cron": "0 9 * * *", "timezone": "UTC"}
                digest_schedules.add_schedule(session, f"s{i}", fields, LEAD, T0)
        seen: list[str] = []

        def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            seen.append(statement.split()[0].upper() + " " + statement.split("FROM")[-1].split()[0])

        event.listen(engine, "before_cursor_execute", record)
        try:
            # 08:30: nothing is due yet (09:00) and nothing before T0 is theirs: only the two reads run.
            done = tick(engine, _config(), client(fake), T0 + timedelta(minutes=90), "r1")
        finally:
            event.remove(engine, "before_cursor_execute", record)
        assert done.posted == done.skipped == done.failed == []
        return seen

    one, many = statements(1), statements(50)
    assert one == many == ["SELECT digest_schedules", "SELECT digest_runs"]
