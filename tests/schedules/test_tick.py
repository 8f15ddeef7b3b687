"""The digest tick on a fake clock against the fake Slack, on SQLite and PostgreSQL.

Monday 22 March 2027, 09:00 in Berlin (CET) is 08:00 UTC; the project's annotations are on the Sunday.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.fakeslack import FakeSlack
from bot.jobs.schedule import MAX_ATTEMPTS, tick
from tests.digest_e2e.values_support import ok
from tests.schedules.delivery_support import (
    CHANNEL,
    client,
    config,
    history,
    posts,
    replies,
    schedule,
    seed,
)

DUE = datetime(2027, 3, 22, 8, tzinfo=UTC)
KEY = "morning@2027-03-22T08:00Z"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as f:
        yield f


@pytest.fixture
def seeded(db_url: str, engine: Engine, tmp_path: Path) -> str:
    seed(db_url, tmp_path, datetime(2027, 3, 21, 9, tzinfo=UTC))
    return db_url


def test_a_tick_posts_each_due_run_once_and_no_replica_posts_it_again(
    seeded: str, engine: Engine, fake: FakeSlack
) -> None:
    cfg, slack = config(schedule()), client(fake)
    now = DUE + timedelta(seconds=30)
    done = tick(engine, cfg, slack, now, "replica-a")
    assert done.posted == [KEY] and not done.failed and not done.skipped
    [post] = posts(fake)
    assert post.params["channel"] == CHANNEL and "Quality digest for p" in post.params["text"]
    assert post.param_json("blocks")  # the digest's Block Kit, not only the fallback
    meta = post.param_json("metadata")
    assert meta == {"event_type": "annobot_digest_run", "event_payload": {"run_key": KEY}}
    # The same replica a minute later, another replica on the same database, and both later still.
    for replica, later in (("replica-a", 60), ("replica-b", 0), ("replica-b", 120), ("replica-a", 3600)):
        again = tick(engine, cfg, slack, now + timedelta(seconds=later), replica)
        assert again.posted == [] and again.failed == []
    assert len(posts(fake)) == 1
    [run] = history(seeded)
    assert (run["run_key"], run["status"], run["late"], run["claimed_by"]) == (
        KEY,
        "posted",
        False,
        "replica-a",
    )
    assert (run["message_channel"], run["message_ts"]) == (CHANNEL, post.reply["ts"])


def test_a_run_missed_while_down_is_posted_late_within_the_grace(
    seeded: str, engine: Engine, fake: FakeSlack
) -> None:
    done = tick(engine, config(schedule()), client(fake), DUE + timedelta(hours=3), "back-up")
    assert done.posted == [KEY]
    assert len(posts(fake)) == 1
    [run] = history(seeded, "--schedule", "morning")
    assert (run["status"], run["late"]) == ("late-posted", True)


def test_a_run_missed_beyond_the_grace_is_skipped_and_history_shows_it(
    seeded: str, engine: Engine, fake: FakeSlack
) -> None:
    done = tick(engine, config(schedule()), client(fake), DUE + timedelta(hours=7), "back-up")
    assert done.skipped == [KEY] and done.posted == []
    assert posts(fake) == []
    [run] = history(seeded)
    assert run["status"] == "skipped" and "beyond the grace of 6h" in run["reason"]
    from tests.support.guidelines import run_cli

    table = run_cli(seeded, "digests", "history").output
    assert "skipped" in table and "2027-03-22T08:00:00+00:00" in table


def test_429_twice_then_200_is_one_post(seeded: str, engine: Engine, fake: FakeSlack) -> None:
    fake.fail_next("chat.postMessage", 429, retry_after=1, times=2)
    done = tick(engine, config(schedule()), client(fake), DUE, "a")
    assert done.posted == [KEY]
    calls = [c for c in fake.calls("chat.postMessage") if "thread_ts" not in c.params]
    assert [c.status for c in calls] == [429, 429, 200]
    assert calls[2].time - calls[0].time >= 1.9  # Retry-After: 1 honoured, twice
    assert len(posts(fake)) == 1 and history(seeded)[0]["status"] == "posted"


def test_500_forever_records_the_failure_and_the_next_ticks_retry_up_to_the_limit(
    seeded: str, engine: Engine, fake: FakeSlack
) -> None:
    cfg, slack = config(schedule()), client(fake)
    fake.fail_next("chat.postMessage", 500, retry_after=None, times=1000)
    first = tick(engine, cfg, slack, DUE, "a")
    assert first.failed == [KEY] and posts(fake) == []
    assert len(fake.calls("chat.postMessage")) == 3  # the first try and the client's two bounded retries
    [run] = history(seeded)
    assert (run["status"], run["attempts"], run["message_ts"]) == ("failed", 1, None)
    assert "HTTP 500" in run["reason"] and CHANNEL in run["reason"]
    for minute in range(1, MAX_ATTEMPTS + 2):
        tick(engine, cfg, slack, DUE + timedelta(minutes=minute), "b")
    [run] = history(seeded)
    assert (run["status"], run["attempts"]) == ("failed", MAX_ATTEMPTS)  # retried, then left alone
    assert len(fake.calls("chat.postMessage")) == 3 * MAX_ATTEMPTS and posts(fake) == []


def test_a_failed_run_is_posted_by_the_next_tick_once_slack_answers(
    seeded: str, engine: Engine, fake: FakeSlack
) -> None:
    cfg, slack = config(schedule()), client(fake)
    fake.fail_next("chat.postMessage", 503, retry_after=None, times=3)
    assert tick(engine, cfg, slack, DUE, "a").failed == [KEY]
    assert tick(engine, cfg, slack, DUE + timedelta(minutes=1), "b").posted == [KEY]
    assert len(posts(fake)) == 1
    [run] = history(seeded)
    assert (run["status"], run["attempts"], run["claimed_by"], run["reason"]) == ("posted", 2, "b", None)


def test_charts_and_the_html_report_arrive_through_the_v2_upload_in_the_thread(
    seeded: str, engine: Engine, fake: FakeSlack
) -> None:
    done = tick(engine, config(schedule(charts=True, html=True)), client(fake), DUE, "a")
    assert done.posted == [KEY]
    [post] = posts(fake)
    ts = post.reply["ts"]
    assert fake.calls("files.upload") == []  # never the retired method
    urls = fake.calls("files.getUploadURLExternal")
    uploads = fake.uploads()
    [complete] = fake.calls("files.completeUploadExternal")
    names = [c.params["filename"] for c in urls]
    assert any(n.endswith(".png") for n in names) and "p-digest.html" in names
    assert len(uploads) == len(urls) and all(u.body for u in uploads)
    assert {u.name for u in uploads} == {f["id"] for f in complete.param_json("files")}
    assert any(u.body.startswith(b"\x89PNG") for u in uploads)
    assert complete.params["channel_id"] == CHANNEL and complete.params["thread_ts"] == ts
    # The order Slack needs: the URL, the bytes, then completing, all after the message.
    assert post.seq < min(c.seq for c in urls) and max(u.seq for u in uploads) < complete.seq


def test_an_empty_window_posts_one_short_line(
    db_url: str, engine: Engine, fake: FakeSlack, tmp_path: Path
) -> None:
    seed(db_url, tmp_path, datetime(2027, 3, 1, 9, tzinfo=UTC))  # weeks before the window
    done = tick(engine, config(schedule(charts=True)), client(fake), DUE, "a")
    assert done.posted == [KEY]
    [post] = posts(fake)
    assert (
        post.params["text"] == "Quality digest for p: no annotations since 2027-03-21 09:00 (Europe/Berlin)."
    )
    assert fake.calls("files.getUploadURLExternal") == []


def test_a_leads_dm_only_schedule_records_no_channel_run_and_without_leads_nothing(
    seeded: str, engine: Engine, fake: FakeSlack
) -> None:
    # The config names no project leads: nobody to DM, and no channel run to record either
    # (the leads' runs are tests/schedules/test_leads_dm.py).
    done = tick(engine, config(schedule(targets=["leads-dm"])), client(fake), DUE, "a")
    assert (done.posted, done.skipped, done.failed) == ([], [], [])
    assert posts(fake) == [] and history(seeded) == []


def test_since_last_starts_where_the_previous_posted_run_ended(
    seeded: str, engine: Engine, fake: FakeSlack
) -> None:
    cfg, slack = config(schedule(window="since-last")), client(fake)
    assert tick(engine, cfg, slack, DUE, "a").posted == [KEY]  # no earlier run: every annotation
    tuesday = DUE + timedelta(days=1)
    assert tick(engine, cfg, slack, tuesday, "a").posted == ["morning@2027-03-23T08:00Z"]
    first, second = posts(fake)
    assert "Quality digest for p" in first.params["text"]
    # Sunday's annotations were in Monday's digest; since Monday 09:00 there are none.
    assert (
        second.params["text"]
        == "Quality digest for p: no annotations since 2027-03-22 09:00 (Europe/Berlin)."
    )


def test_the_per_annotator_details_follow_in_the_thread(seeded: str, engine: Engine, fake: FakeSlack) -> None:
    done = tick(engine, config(schedule()), client(fake), DUE, "a")
    assert done.posted == [KEY]
    [post] = posts(fake)
    details = replies(fake)
    assert details and all(r.params["thread_ts"] == post.reply["ts"] for r in details)
    shown = "\n".join(
        b["text"]["text"] for r in details for b in r.param_json("blocks") if b["type"] == "section"
    )
    digest = json.loads(ok(seeded, "digest", "--project", "p", "--all", "--format", "json"))
    for a in digest["annotators"]:  # every annotator of the project has a line (its window's figures)
        assert re.search(rf"• \*{re.escape(a['annotator'])}\*: [0-9,]+ annotations", shown), shown
    assert post.seq < min(r.seq for r in details)
