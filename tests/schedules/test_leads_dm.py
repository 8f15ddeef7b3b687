"""`leads-dm` schedules: each lead's digest at 09:00 in their own Slack zone, once, on a fake clock.

Monday 1 March 2027 is winter on both sides: 09:00 in Berlin (CET) is 08:00Z, in New York (EST) 14:00Z.
The US moves to summer time on 14 March, the EU on 28 March.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, event

from bot.config import Config, ProjectConfig, ReportsConfig
from bot.fakeslack import FakeSlack
from bot.jobs.schedule import LOOKBACK_MIN, post_now, tick
from bot.jobs.schedule_dm import ZONE_TTL, in_zone, valid_zone
from bot.store import lead_zones
from bot.store.db import session_scope
from reports.schedule.due import due_times
from tests.schedules.delivery_support import client, history, posts, replies, schedule, seed

MONDAY = datetime(2027, 3, 1, tzinfo=UTC)
BERLIN, NEW_YORK, GROUPED, OUTSIDER, MANAGER = "UBERLIN1", "UNEWYORK1", "UGROUPED1", "UOUTSIDE1", "UMANAGE1"
GROUP = "S0LEADS1"


def key(day: datetime, hour: int, user: str) -> str:
    return f"morning@{day:%Y-%m-%d}T{hour:02d}:00Z/dm:{user}"


def lead_config(*leads: str, **fields: Any) -> Config:
    """Project p led by `leads` (user and group ids) with a manager; one leads-dm schedule."""
    project = ProjectConfig(name="p", guideline="mini", leads=leads, managers=(MANAGER,))
    return Config(
        reports=ReportsConfig(timezone="UTC"),
        projects=(project,),
        digests=(schedule(targets=["leads-dm"], **fields),),
    )


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as f:
        f.add_user(BERLIN, tz="Europe/Berlin")
        f.add_user(NEW_YORK, tz="America/New_York")
        f.add_user(GROUPED, tz="America/New_York")
        f.add_user(OUTSIDER, tz="Europe/Berlin")
        f.add_user(MANAGER, tz="Europe/Berlin")
        yield f


@pytest.fixture
def seeded(db_url: str, engine: Engine, tmp_path: Path) -> str:
    seed(db_url, tmp_path, MONDAY - timedelta(hours=20))  # Sunday's annotations, in Monday's window
    return db_url


def dm_posts(fake: FakeSlack) -> dict[str, list[Any]]:
    """Accepted digest DMs by the user id they were sent to."""
    out: dict[str, list[Any]] = {}
    for call in posts(fake):
        out.setdefault(call.params["channel"], []).append(call)
    return out


def test_two_leads_get_the_0900_local_digest_at_0800z_and_1400z_and_nobody_else(
    seeded: str, engine: Engine, fake: FakeSlack
) -> None:
    cfg, slack = lead_config(BERLIN, NEW_YORK, BERLIN), client(fake)
    assert tick(engine, cfg, slack, MONDAY + timedelta(hours=7, minutes=59), "a").posted == []
    at_8 = tick(engine, cfg, slack, MONDAY + timedelta(hours=8, seconds=30), "a")
    assert at_8.posted == [key(MONDAY, 8, BERLIN)]
    assert tick(engine, cfg, slack, MONDAY + timedelta(hours=13, minutes=59), "a").posted == []
    at_14 = tick(engine, cfg, slack, MONDAY + timedelta(hours=14, seconds=30), "a")
    assert at_14.posted == [key(MONDAY, 14, NEW_YORK)]
    sent = dm_posts(fake)
    assert set(sent) == {BERLIN, NEW_YORK}  # the manager and the outsider get nothing
    assert [len(v) for v in sent.values()] == [1, 1]  # listed twice, DMed once
    [berlin] = sent[BERLIN]
    assert "Quality digest for p" in berlin.params["text"] and berlin.param_json("blocks")
    meta = berlin.param_json("metadata")
    assert meta == {"event_type": "annobot_digest_run", "event_payload": {"run_key": key(MONDAY, 8, BERLIN)}}
    # The details go to the DM's conversation (Slack answers its D… id), in the message's thread.
    dm = berlin.reply["channel"]
    assert dm.startswith("D")
    threads = [r for r in replies(fake) if r.params["thread_ts"] == berlin.reply["ts"]]
    assert threads and all(r.params["channel"] == dm for r in threads)
    runs = {r["run_key"]: r for r in history(seeded) if r["status"] != "skipped"}
    assert set(runs) == {key(MONDAY, 8, BERLIN), key(MONDAY, 14, NEW_YORK)}
    assert (runs[key(MONDAY, 8, BERLIN)]["message_channel"], runs[key(MONDAY, 8, BERLIN)]["status"]) == (
        dm,
        "posted",
    )


def test_the_times_follow_each_leads_daylight_saving_change(
    seeded: str, engine: Engine, fake: FakeSlack
) -> None:
    cfg, slack = lead_config(BERLIN, NEW_YORK), client(fake)
    friday, monday_us, monday_eu = (MONDAY + timedelta(days=d) for d in (11, 14, 28))
    posted: list[str] = []
    for day in (friday, monday_us, monday_eu):
        for hour in range(5, 17):
            posted += tick(engine, cfg, slack, day + timedelta(hours=hour, seconds=20), "a").posted
    assert posted == [
        key(friday, 8, BERLIN),  # both in winter time
        key(friday, 14, NEW_YORK),
        key(monday_us, 8, BERLIN),  # New York is on summer time (EDT), Berlin not yet
        key(monday_us, 13, NEW_YORK),
        key(monday_eu, 7, BERLIN),  # both on summer time
        key(monday_eu, 13, NEW_YORK),
    ]
    assert len(posts(fake)) == 6


def test_users_info_is_asked_once_per_lead_per_ttl_and_the_cache_is_shared(
    seeded: str, engine: Engine, fake: FakeSlack
) -> None:
    cfg, slack = lead_config(BERLIN, GROUP), client(fake)
    fake.set_usergroup(GROUP, [NEW_YORK, BERLIN, "B0NOTAUSER"])
    for minute in range(0, 180, 30):
        for replica in ("a", "b"):
            tick(engine, cfg, slack, MONDAY + timedelta(hours=7, minutes=minute), replica)
    asked = sorted(c.params["user"] for c in fake.calls("users.info"))
    assert asked == [BERLIN, NEW_YORK]  # one each, for both replicas (the group's bot id is no user)
    tick(engine, cfg, slack, MONDAY + timedelta(hours=7) + ZONE_TTL + timedelta(minutes=1), "b")
    assert len(fake.calls("users.info")) == 4  # refreshed once the day is over


def test_a_tick_with_cached_zones_and_nothing_due_reads_the_store_three_times(
    seeded: str, engine: Engine, fake: FakeSlack
) -> None:
    cfg, slack = lead_config(BERLIN, NEW_YORK), client(fake)
    tick(engine, cfg, slack, MONDAY + timedelta(hours=6), "a")  # fills the zone cache
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        tick(engine, cfg, slack, MONDAY + timedelta(hours=6, minutes=1), "a")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    # The (small) table of Slack-added schedules, the runs of the look-back, the zones of all leads.
    assert len(statements) == 3, statements
    assert "digest_schedules" in statements[0]
    assert "digest_runs" in statements[1] and "lead_zones" in statements[2]


def test_users_info_failing_falls_back_to_the_cached_zone_or_the_schedules(
    seeded: str, engine: Engine, fake: FakeSlack
) -> None:
    cfg, slack = lead_config(NEW_YORK), client(fake)
    fake.fail_next("users.info", 200, error="fatal_error", times=100)
    # Nothing cached: the schedule's zone (Berlin), and the run is not held up.
    assert tick(engine, cfg, slack, MONDAY + timedelta(hours=8), "a").posted == [key(MONDAY, 8, NEW_YORK)]
    assert len(fake.calls("users.info")) == 1
    tick(engine, cfg, slack, MONDAY + timedelta(hours=8, minutes=30), "a")
    assert len(fake.calls("users.info")) == 1  # not asked again before ZONE_ERROR_TTL
    fake.reset()
    # Slack answers again: New York from the next ask on; Tuesday's digest at 14:00Z.
    tuesday = MONDAY + timedelta(days=1)
    assert tick(engine, cfg, slack, tuesday + timedelta(hours=8), "a").posted == []
    assert tick(engine, cfg, slack, tuesday + timedelta(hours=14), "a").posted == [key(tuesday, 14, NEW_YORK)]
    # Once cached, a failing Slack keeps New York: Wednesday is at 14:00Z too, not 08:00Z.
    fake.fail_next("users.info", 503, retry_after=None, times=100)
    wednesday = tuesday + timedelta(days=1)
    assert tick(engine, cfg, slack, wednesday + timedelta(hours=8), "a").posted == []  # cache expired
    assert [c.status for c in fake.calls("users.info")][-3:] == [503, 503, 503]
    assert tick(engine, cfg, slack, wednesday + timedelta(hours=14), "a").posted == [
        key(wednesday, 14, NEW_YORK)
    ]
    with session_scope(engine) as session:
        assert lead_zones.read(session, [NEW_YORK])[NEW_YORK].tz == "America/New_York"


def test_a_deactivated_lead_or_a_bot_gets_no_dm_and_history_says_why(
    seeded: str, engine: Engine, fake: FakeSlack
) -> None:
    fake.add_user("UGONE1", deleted=True, tz="Europe/Berlin")
    fake.add_user("UROBOT1", is_bot=True, tz="Europe/Berlin")
    cfg, slack = lead_config("UGONE1", "UROBOT1", BERLIN), client(fake)
    done = tick(engine, cfg, slack, MONDAY + timedelta(hours=8), "a")
    assert done.posted == [key(MONDAY, 8, BERLIN)]
    assert sorted(done.skipped) == [key(MONDAY, 8, "UGONE1"), key(MONDAY, 8, "UROBOT1")]
    assert set(dm_posts(fake)) == {BERLIN}
    reasons = {r["run_key"]: r["reason"] for r in history(seeded) if r["status"] == "skipped"}
    assert "deactivated or a bot" in reasons[key(MONDAY, 8, "UGONE1")]


def test_two_replicas_ticking_together_post_each_dm_once(
    seeded: str, engine: Engine, fake: FakeSlack
) -> None:
    cfg, slack = lead_config(BERLIN, NEW_YORK), client(fake)
    for at in (MONDAY + timedelta(hours=8), MONDAY + timedelta(hours=14)):
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(lambda replica, at=at: tick(engine, cfg, slack, at, replica), ["a", "b"]))
        tick(engine, cfg, slack, at + timedelta(minutes=1), "b")
    sent = dm_posts(fake)
    assert {u: len(v) for u, v in sent.items()} == {BERLIN: 1, NEW_YORK: 1}
    assert {r["status"] for r in history(seeded)} == {"posted"}


def test_a_failed_dm_is_retried_at_the_next_tick_like_a_channel_run(
    seeded: str, engine: Engine, fake: FakeSlack
) -> None:
    cfg, slack = lead_config(BERLIN), client(fake)
    tick(engine, cfg, slack, MONDAY + timedelta(hours=7), "a")  # zones cached before Slack fails
    fake.fail_next("chat.postMessage", 503, retry_after=None, times=3)
    due = MONDAY + timedelta(hours=8)
    assert tick(engine, cfg, slack, due, "a").failed == [key(MONDAY, 8, BERLIN)]
    [run] = history(seeded)
    assert run["status"] == "failed" and BERLIN in run["reason"] and "HTTP 503" in run["reason"]
    assert tick(engine, cfg, slack, due + timedelta(minutes=1), "b").posted == [key(MONDAY, 8, BERLIN)]
    assert len(dm_posts(fake)[BERLIN]) == 1


def test_a_dm_missed_while_down_is_posted_late_within_the_grace_and_skipped_beyond(
    seeded: str, engine: Engine, fake: FakeSlack
) -> None:
    cfg, slack = lead_config(BERLIN, NEW_YORK), client(fake)
    done = tick(engine, cfg, slack, MONDAY + timedelta(hours=14, minutes=30), "back")
    # Berlin's 08:00Z is 6.5 h ago, beyond the grace; New York's is on time.
    assert key(MONDAY, 8, BERLIN) in done.skipped and done.posted == [key(MONDAY, 14, NEW_YORK)]
    done = tick(engine, cfg, slack, MONDAY + timedelta(days=1, hours=10), "back")
    assert done.posted == [key(MONDAY + timedelta(days=1), 8, BERLIN)]
    late = {r["run_key"]: r for r in history(seeded)}[key(MONDAY + timedelta(days=1), 8, BERLIN)]
    assert (late["status"], late["late"]) == ("late-posted", True)


def test_since_last_runs_from_the_same_leads_previous_dm(
    seeded: str, engine: Engine, fake: FakeSlack
) -> None:
    cfg, slack = lead_config(BERLIN, NEW_YORK, window="since-last"), client(fake)
    tick(engine, cfg, slack, MONDAY + timedelta(hours=8), "a")  # Berlin: every annotation so far
    tick(engine, cfg, slack, MONDAY + timedelta(hours=14), "a")  # New York: its first, everything too
    tick(engine, cfg, slack, MONDAY + timedelta(days=1, hours=8), "a")
    tick(engine, cfg, slack, MONDAY + timedelta(days=1, hours=14), "a")
    sent = dm_posts(fake)
    assert [("no annotations" in p.params["text"]) for p in sent[BERLIN]] == [False, True]
    assert [("no annotations" in p.params["text"]) for p in sent[NEW_YORK]] == [False, True]
    # Each lead's window starts at their own previous digest, shown in their own zone.
    assert "since 2027-03-01 09:00 (America/New_York)" in sent[NEW_YORK][1].params["text"]
    assert "since 2027-03-01 09:00 (Europe/Berlin)" in sent[BERLIN][1].params["text"]


_users = (f"UPROP{n:04d}" for n in itertools.count())
ZONES = st.one_of(
    st.none(),
    st.integers(),
    st.text(max_size=80),
    st.sampled_from(["America/New_York", "Asia/Kolkata", "UTC", "Europe", "../../etc/passwd", "EST5EDT"]),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_/+-0123456789", max_size=40),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tz=ZONES)
@example(tz="Europe/Berlin")
@example(tz="x" * 70)
@example(tz="\udcff")
def test_any_tz_users_info_returns_is_used_when_valid_else_the_schedules(
    seeded: str, engine: Engine, fake: FakeSlack, tz: Any
) -> None:
    user = next(_users)
    fake.set_handler("users.info", {"user": {"id": user, "tz": tz, "deleted": False, "is_bot": False}})
    done = tick(engine, lead_config(user), client(fake), MONDAY + timedelta(hours=8), "a")
    assert done.failed == []
    zone = valid_zone(tz)
    with session_scope(engine) as session:
        assert lead_zones.read(session, [user])[user].tz == zone
    if zone is None:
        assert done.posted == [key(MONDAY, 8, user)]  # the schedule's own zone
    else:  # the lead's zone: its 09:00 in the look-back, the newest posted (on time or late)
        zoned = in_zone(schedule(targets=["leads-dm"]), zone)
        now = MONDAY + timedelta(hours=8)
        dues = [d for d in due_times(zoned, now - LOOKBACK_MIN, now) if now - d <= zoned.grace]
        assert done.posted == [f"morning@{d:%Y-%m-%dT%H:%MZ}/dm:{user}" for d in dues[-1:]]


def test_an_outage_costs_one_users_info_call_not_one_per_lead(
    seeded: str, engine: Engine, fake: FakeSlack
) -> None:
    fake.fail_next("users.info", 200, error="fatal_error", times=100)
    cfg = lead_config(BERLIN, NEW_YORK, GROUPED)
    done = tick(engine, cfg, client(fake), MONDAY + timedelta(hours=8), "a")
    assert len(fake.calls("users.info")) == 1
    assert sorted(done.posted) == sorted(key(MONDAY, 8, u) for u in (BERLIN, NEW_YORK, GROUPED))


def test_working_days_and_holidays_are_the_leads_local_days_on_the_schedules_calendar(
    seeded: str, engine: Engine, fake: FakeSlack
) -> None:
    fake.add_user("UTOKYO1", tz="Asia/Tokyo")
    cfg, slack = lead_config("UTOKYO1", NEW_YORK, holidays="DE"), client(fake)
    # Monday 09:00 in Tokyo is Sunday 24:00Z: a working day there, whatever the day is in Berlin.
    sunday = MONDAY - timedelta(days=1)
    assert tick(engine, cfg, slack, sunday + timedelta(hours=23, minutes=59), "a").posted == []
    assert tick(engine, cfg, slack, MONDAY, "a").posted == [key(MONDAY, 0, "UTOKYO1")]
    # Good Friday (26 March 2027) is a German holiday, not a US one: no DM on the schedule's calendar.
    thursday = MONDAY + timedelta(days=24)
    posted = {
        day: [k for h in range(24) for k in tick(engine, cfg, slack, day + timedelta(hours=h), "a").posted]
        for day in (thursday, thursday + timedelta(days=1))
    }
    assert posted == {
        thursday: [key(thursday, 0, "UTOKYO1"), key(thursday, 13, NEW_YORK)],
        thursday + timedelta(days=1): [],
    }


def test_an_on_demand_post_of_a_leads_dm_only_schedule_dms_nobody_and_says_why(
    seeded: str, engine: Engine, fake: FakeSlack
) -> None:
    now = MONDAY + timedelta(hours=10)
    done = post_now(engine, lead_config(BERLIN), client(fake), "morning", now, "a")
    assert done.posted == [] and len(done.skipped) == 1 and posts(fake) == []
    [run] = history(seeded)
    assert "on-demand posts go to channels only" in run["reason"]
