"""A replica that dies after Slack accepted its digest and before recording it (issue 14 item 2).

In-process on a fake clock, on SQLite and PostgreSQL: the fake Slack dates its messages by the same
clock, so the retry's conversations.history `oldest` (the due instant) and the message ts agree.
The crash is `mark_posted` raising a BaseException nothing catches, as a SIGKILL there would stop it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from bot.config import Config, ProjectConfig, ReportsConfig
from bot.fakeslack import FakeSlack
from bot.jobs.schedule import LEASE, tick
from bot.store import schedules as store
from tests.schedules.delivery_support import CHANNEL, client, config, history, posts, schedule, seed

DUE = datetime(2027, 3, 22, 8, tzinfo=UTC)  # Monday 09:00 in Berlin
KEY = "morning@2027-03-22T08:00Z"
OTHER = "C0DIGEST2"


class Killed(BaseException):
    """The process ends here (no `except Exception` stops it)."""


class Clock:
    """The fake clock the ticks are given, and the fake Slack dates its messages by."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(DUE)


@pytest.fixture
def fake(clock: Clock) -> Iterator[FakeSlack]:
    with FakeSlack(clock=clock) as f:
        yield f


@pytest.fixture
def seeded(db_url: str, engine: Engine, tmp_path: Path) -> str:
    seed(db_url, tmp_path, datetime(2027, 3, 21, 9, tzinfo=UTC))
    return db_url


def _crash_after_posting(
    engine: Engine,
    fake: FakeSlack,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
    targets: list[str],
    cfg: Config | None = None,
) -> None:
    """Tick as replica a at DUE (`cfg`, else a schedule to `targets`), dying between the post and its record."""

    def die(*args: object, **kwargs: object) -> bool:
        raise Killed

    monkeypatch.setattr(store, "mark_posted", die)
    with pytest.raises(Killed):
        tick(engine, cfg or config(schedule(targets=targets)), client(fake), clock(), "a")
    monkeypatch.undo()


def test_a_post_slack_accepted_but_nobody_recorded_is_found_and_recorded_not_posted_again(
    seeded: str, engine: Engine, fake: FakeSlack, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    _crash_after_posting(engine, fake, clock, monkeypatch, [CHANNEL])
    [post] = posts(fake)
    [run] = history(seeded)
    assert (run["status"], run["message_ts"], run["attempts"]) == ("claimed", None, 1)
    assert fake.calls("conversations.history") == []  # a first attempt never reads history
    cfg, slack = config(schedule()), client(fake)
    clock.now = DUE + LEASE - timedelta(minutes=1)
    assert tick(engine, cfg, slack, clock(), "b").posted == []  # the lease still holds
    clock.now = DUE + LEASE + timedelta(minutes=1)
    done = tick(engine, cfg, slack, clock(), "b")
    assert done.posted == [KEY] and not done.failed
    assert posts(fake) == [post]  # not posted again (and no second thread of details either)
    [lookup] = fake.calls("conversations.history")
    assert lookup.params["channel"] == CHANNEL and lookup.params["include_all_metadata"] == "1"
    assert float(lookup.params["oldest"]) < DUE.timestamp() <= float(post.reply["ts"])
    [run] = history(seeded)
    assert (run["status"], run["attempts"], run["claimed_by"]) == ("posted", 2, "b")
    assert (run["message_channel"], run["message_ts"]) == (CHANNEL, post.reply["ts"])
    clock.now += timedelta(minutes=5)
    assert tick(engine, cfg, slack, clock(), "c").posted == [] and len(posts(fake)) == 1


# The claims are the store's (tested on both backends): the next two run on SQLite only, to stay quick.
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_run_that_reached_one_channel_of_two_posts_only_to_the_other(
    seeded: str, engine: Engine, fake: FakeSlack, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Slack takes the first channel's post, then refuses the second one: the run is recorded failed,
    # its message in the first channel unrecorded.
    cfg, slack = config(schedule(targets=[CHANNEL, OTHER])), client(fake)
    original = slack.chat_postMessage

    def second_channel_fails(**kwargs: object) -> object:
        if kwargs.get("channel") == OTHER and "thread_ts" not in kwargs:
            fake.fail_next("chat.postMessage", 200, error="channel_not_found")
        return original(**kwargs)

    monkeypatch.setattr(slack, "chat_postMessage", second_channel_fails)
    assert tick(engine, cfg, slack, clock(), "a").failed == [KEY]
    monkeypatch.undo()
    assert [p.params["channel"] for p in posts(fake)] == [CHANNEL]
    clock.now = DUE + timedelta(minutes=1)
    assert tick(engine, cfg, slack, clock(), "b").posted == [KEY]
    first, second = posts(fake)
    assert (first.params["channel"], second.params["channel"]) == (CHANNEL, OTHER)  # nothing doubled
    [run] = history(seeded)
    assert (run["status"], run["attempts"], run["message_channel"]) == ("posted", 2, CHANNEL)
    assert run["message_ts"] == first.reply["ts"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_an_unreadable_history_is_logged_and_the_run_posted_again(
    seeded: str,
    engine: Engine,
    fake: FakeSlack,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _crash_after_posting(engine, fake, clock, monkeypatch, [CHANNEL])
    fake.revoke_scope("channels:history")  # an app installed before the scope was added
    clock.now = DUE + LEASE + timedelta(minutes=1)
    with caplog.at_level(logging.WARNING, logger="annobot.schedule"):
        done = tick(engine, config(schedule()), client(fake), clock(), "b")
    assert done.posted == [KEY]
    assert len(posts(fake)) == 2  # the documented choice: a possible double rather than a lost digest
    [warning] = [r.getMessage() for r in caplog.records if "unreadable" in r.getMessage()]
    assert KEY in warning and CHANNEL in warning and "missing_scope (needs channels:history)" in warning
    [run] = history(seeded)
    assert (run["status"], run["attempts"], run["message_ts"]) == ("posted", 2, posts(fake)[1].reply["ts"])


LEAD = "UBERLIN1"  # a lead in Berlin: the 09:00 DM is due at DUE too
DM_KEY = f"{KEY}/dm:{LEAD}"


def _dm_config() -> Config:
    project = ProjectConfig(name="p", guideline="mini", leads=(LEAD,))
    return Config(
        reports=ReportsConfig(timezone="UTC"), projects=(project,), digests=(schedule(targets=["leads-dm"]),)
    )


def _crash_after_dm(engine: Engine, fake: FakeSlack, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Replica a DMs the lead at DUE and dies before recording it; the DM as the fake accepted it."""
    fake.add_user(LEAD, tz="Europe/Berlin")
    _crash_after_posting(engine, fake, clock, monkeypatch, [], _dm_config())
    [post] = posts(fake)
    assert post.params["channel"] == LEAD
    return post


def test_a_leads_dm_slack_accepted_but_nobody_recorded_is_found_in_the_dm_and_not_sent_again(
    seeded: str, engine: Engine, fake: FakeSlack, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    post = _crash_after_dm(engine, fake, clock, monkeypatch)
    assert fake.calls("conversations.open") == []  # a first attempt reads no history
    clock.now = DUE + LEASE + timedelta(minutes=1)
    assert tick(engine, _dm_config(), client(fake), clock(), "b").posted == [DM_KEY]
    assert posts(fake) == [post]
    [opened] = fake.calls("conversations.open")
    [lookup] = fake.calls("conversations.history")
    assert opened.params["users"] == LEAD and lookup.params["channel"] == post.reply["channel"]
    [run] = history(seeded)
    assert (run["run_key"], run["status"], run["attempts"], run["claimed_by"]) == (DM_KEY, "posted", 2, "b")
    assert (run["message_channel"], run["message_ts"]) == (post.reply["channel"], post.reply["ts"])


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("scope", ["im:write", "im:history"])
def test_a_dm_whose_history_cannot_be_read_is_logged_and_sent_again(
    seeded: str,
    engine: Engine,
    fake: FakeSlack,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    scope: str,
) -> None:
    _crash_after_dm(engine, fake, clock, monkeypatch)
    fake.revoke_scope(scope)  # an app installed before the DM scopes joined the manifest
    clock.now = DUE + LEASE + timedelta(minutes=1)
    with caplog.at_level(logging.WARNING, logger="annobot.schedule"):
        assert tick(engine, _dm_config(), client(fake), clock(), "b").posted == [DM_KEY]
    assert len(posts(fake)) == 2  # a possible double rather than a lost digest, as for a channel
    [warning] = [r.getMessage() for r in caplog.records if "doubles a post" in r.getMessage()]
    assert DM_KEY in warning and f"needs {scope}" in warning
