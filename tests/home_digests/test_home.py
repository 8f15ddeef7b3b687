"""Scheduled digests on the App Home over the real HTTP app against the fake Slack (SQLite and PostgreSQL):
what a lead sees, Preview, Send now, and refused clicks."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from bot.jobs.schedule import is_on_demand
from bot.slack.home.schedules import HOME_DIGEST_PAGE, HOME_DIGEST_PREVIEW, HOME_DIGEST_SEND
from bot.store import schedules as store
from bot.store.db import session_scope
from tests.bot.helpers import buttons, texts
from tests.home_digests.conftest import (
    ANNOTATOR,
    LEAD,
    MORNING,
    P,
    Q,
    audit_rows,
    click,
    open_home,
    published,
    wait_calls,
)
from tests.schedules.delivery_support import CHANNEL, history, schedule

TS = "1700000000.000100"
LINK = f"https://annobot-test.slack.com/archives/{CHANNEL}/p1700000000000100"


def _record(engine: Engine, name: str, due: datetime, *, posted: bool, reason: str = "") -> None:
    """A past run of schedule `name`: posted to CHANNEL, or failed with `reason`."""
    key = f"{name}@{due:%Y-%m-%dT%H:%MZ}"
    with session_scope(engine) as session:
        store.claim(session, key, "replica-a", due, timedelta(minutes=10), schedule=name, due=due)
        if posted:
            store.mark_posted(session, key, due + timedelta(seconds=5), CHANNEL, TS)
        else:
            store.mark_failed(session, key, "replica-a", due, reason)


def test_a_lead_sees_each_schedule_with_its_next_run_and_last_result(
    make_home_bot: Any, engine: Engine
) -> None:
    evening = schedule(
        name="evening", cron="30 18 * * *", timezone="America/New_York", targets=[CHANNEL, "leads-dm"]
    )
    weekly = schedule(name="weekly", cron="0 7 * * mon", timezone="UTC")
    bot = make_home_bot(digests=(MORNING, evening, weekly))
    yesterday = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(days=1)
    _record(engine, "morning", yesterday, posted=True)
    _record(
        engine,
        "evening",
        yesterday,
        posted=False,
        reason="chat.postMessage to C1: HTTP 500, <!channel> & boom",
    )
    view = open_home(bot, LEAD)
    shown = texts(view["blocks"])
    assert "Scheduled digests" in shown
    morning = next(
        b["text"]["text"] for b in view["blocks"] if b.get("text", {}).get("text", "").startswith("*morning*")
    )
    assert f"<#{CHANNEL}>" in morning and "`0 9 * * mon-fri` Europe/Berlin" in morning
    # The next run in the schedule's zone (CET or CEST), and how far away it is.
    assert "Next run: " in morning and " 09:00 CE" in morning and "(in " in morning
    assert "posted" in morning and f"<{LINK}|the message>" in morning
    evening_text = next(
        b["text"]["text"] for b in view["blocks"] if b.get("text", {}).get("text", "").startswith("*evening*")
    )
    assert "18:30 E" in evening_text and "each lead's DM" in evening_text
    # A failure shows its reason, escaped: it pings nobody.
    assert (
        "failed" in evening_text
        and "&lt;!channel&gt; &amp; boom" in evening_text
        and "<!channel>" not in evening_text
    )
    assert "never run" in texts(view["blocks"])  # weekly
    assert buttons(view["blocks"], HOME_DIGEST_SEND) == ["morning", "evening", "weekly"]
    assert buttons(view["blocks"], HOME_DIGEST_PREVIEW) == ["morning", "evening", "weekly"]
    send = next(
        e
        for b in view["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == HOME_DIGEST_SEND
    )
    assert send["confirm"]["confirm"]["text"] == "Send now" and "morning" in send["confirm"]["title"]["text"]
    assert len(view["blocks"]) <= 100


def test_an_annotator_sees_no_schedules(make_home_bot: Any) -> None:
    bot = make_home_bot()
    view = open_home(bot, ANNOTATOR)
    assert "Scheduled digests" not in texts(view["blocks"])
    assert (
        buttons(view["blocks"], HOME_DIGEST_SEND) == [] and buttons(view["blocks"], HOME_DIGEST_PREVIEW) == []
    )


def test_preview_opens_a_modal_and_posts_nothing(make_home_bot: Any, db_url: str, seeded: datetime) -> None:
    bot = make_home_bot()
    click(bot, HOME_DIGEST_PREVIEW, "morning", LEAD)
    [opened] = wait_calls(bot, "views.open", 1)
    assert "Computing the digest" in texts(opened.param_json("view"))
    [updated] = wait_calls(bot, "views.update", 1)
    view = updated.param_json("view")
    assert updated.params["view_id"] and view["type"] == "modal" and len(view["blocks"]) <= 100
    assert "Quality digest — p" in texts(view) and "Nothing is posted or recorded" in texts(view)
    time.sleep(0.2)
    assert bot.fake.calls("chat.postMessage") == [] and bot.fake.calls("files.completeUploadExternal") == []
    assert history(db_url) == []


def test_send_now_posts_once_records_an_on_demand_run_and_refreshes_the_home(
    make_home_bot: Any, db_url: str, seeded: datetime
) -> None:
    bot = make_home_bot()
    open_home(bot, LEAD)
    click(bot, HOME_DIGEST_SEND, "morning", LEAD)
    assert "Sending *morning* now…" in texts(published(bot, LEAD, 2)["blocks"])
    view = published(bot, LEAD, 3)
    [post] = bot.fake.calls("chat.postMessage")[:1]
    assert post.params["channel"] == CHANNEL and "Quality digest for p" in post.params["text"]
    assert len([c for c in bot.fake.calls("chat.postMessage") if not c.params.get("thread_ts")]) == 1
    [run] = history(db_url)
    assert run["status"] == "posted" and is_on_demand(run["run_key"])
    ts = run["message_ts"].replace(".", "")
    link = f"https://annobot-test.slack.com/archives/{CHANNEL}/p{ts}"
    shown = texts(view["blocks"])
    assert ":white_check_mark: Sent *morning* now" in shown and link in shown
    assert "Last run: :white_check_mark: posted" in shown and "(on demand)" in shown
    assert [(r.action, r.project, r.allowed) for r in audit_rows(bot.engine, LEAD)] == [
        ("digest.post", "p", True)
    ]
    # The Home tab opened again shows the same last result.
    assert "(on demand)" in texts(open_home(bot, LEAD)["blocks"])


def test_a_forged_send_now_by_an_annotator_posts_nothing_is_audited_and_explained(
    make_home_bot: Any, db_url: str, seeded: datetime
) -> None:
    bot = make_home_bot()
    click(bot, HOME_DIGEST_SEND, "morning", ANNOTATOR)
    [opened] = wait_calls(bot, "views.open", 1)
    assert "Only a lead or a manager of project p may post digests to a channel" in texts(
        opened.param_json("view")
    )
    time.sleep(0.2)
    assert bot.fake.calls("chat.postMessage") == [] and history(db_url) == []
    [row] = audit_rows(bot.engine, ANNOTATOR)
    assert (row.action, row.project, row.allowed, row.role_needed) == ("digest.post", "p", False, "lead")
    assert "morning" in row.detail


def test_send_now_needs_a_lead_of_every_project_of_the_schedule(
    make_home_bot: Any, db_url: str, seeded: datetime
) -> None:
    both = schedule(name="both", projects=["p", "q"])
    bot = make_home_bot(projects=(P, Q), digests=(both,))
    view = open_home(bot, LEAD)
    assert (
        buttons(view["blocks"], HOME_DIGEST_PREVIEW) == ["both"]
        and buttons(view["blocks"], HOME_DIGEST_SEND) == []
    )
    assert "you do not lead q" in texts(view["blocks"])
    click(bot, HOME_DIGEST_SEND, "both", LEAD)  # forged: the Home tab showed no such button
    [opened] = wait_calls(bot, "views.open", 1)
    assert "of project q may post digests" in texts(opened.param_json("view"))
    time.sleep(0.2)
    assert bot.fake.calls("chat.postMessage") == [] and history(db_url) == []
    assert [(r.project, r.allowed) for r in audit_rows(bot.engine, LEAD)] == [("p", True), ("q", False)]


def test_unknown_and_malformed_schedule_names_are_explained(make_home_bot: Any, db_url: str) -> None:
    bot = make_home_bot()
    for n, (action, value) in enumerate(
        [
            (HOME_DIGEST_SEND, "evening"),
            (HOME_DIGEST_SEND, "<!channel>"),
            (HOME_DIGEST_PREVIEW, ""),
            (HOME_DIGEST_PAGE, "morning x"),
        ],
        start=1,
    ):
        click(bot, action, value, LEAD)
        opened = wait_calls(bot, "views.open", n)[-1]
        shown = texts(opened.param_json("view"))
        assert ":warning:" in shown and "went wrong" not in shown and "<!channel>" not in shown
    assert bot.fake.calls("chat.postMessage") == [] and history(db_url) == []


def test_a_preview_page_button_updates_its_own_modal(
    make_home_bot: Any, db_url: str, seeded: datetime
) -> None:
    bot = make_home_bot()
    preview = {"id": "VPREVIEW9", "type": "modal", "callback_id": "home_digest_preview"}
    click(bot, HOME_DIGEST_PAGE, "morning 0", LEAD, view=preview)
    [updated] = wait_calls(bot, "views.update", 1)
    assert updated.params["view_id"] == "VPREVIEW9" and "Quality digest — p" in texts(
        updated.param_json("view")
    )
    # From the Home tab, the same value is refused: a page turns only in a preview.
    click(bot, HOME_DIGEST_PAGE, "morning 0", LEAD)
    [opened] = wait_calls(bot, "views.open", 1)
    assert "not in a preview" in texts(opened.param_json("view"))
    time.sleep(0.2)
    assert bot.fake.calls("chat.postMessage") == [] and history(db_url) == []


def test_a_refused_send_now_shows_the_reason_and_the_failed_run(
    make_home_bot: Any, db_url: str, seeded: datetime
) -> None:
    bot = make_home_bot()
    bot.fake.fail_next("chat.postMessage", 200, error="not_in_channel")
    click(bot, HOME_DIGEST_SEND, "morning", LEAD)
    view = published(bot, LEAD, 2)
    shown = texts(view["blocks"])
    assert ":x: Send now of *morning* failed" in shown and "not_in_channel" in shown
    assert "Last run: :x: failed (on demand)" in shown
    [run] = history(db_url)
    assert run["status"] == "failed" and is_on_demand(run["run_key"]) and "not_in_channel" in run["reason"]


def test_more_schedules_than_the_tab_holds_are_counted(make_home_bot: Any) -> None:
    many = tuple(schedule(name=f"s{i:02d}") for i in range(13))
    bot = make_home_bot(digests=many)
    view = open_home(bot, LEAD)
    assert buttons(view["blocks"], HOME_DIGEST_PREVIEW) == [f"s{i:02d}" for i in range(10)]
    assert "…and 3 more: `annobot digests history`" in texts(view["blocks"])
    assert len(view["blocks"]) <= 100


def test_a_leads_dm_schedule_shows_the_leads_own_dm_and_no_one_elses(
    make_home_bot: Any, engine: Engine
) -> None:
    dms = schedule(name="dms", targets=["leads-dm"])
    bot = make_home_bot(digests=(dms,))
    due = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(days=1)
    with session_scope(engine) as session:
        for user, channel, ts, at in [
            (LEAD, "D0LEAD1", "1700000001.000100", due),
            ("ULEAD2", "D0LEAD2", "1700000002.000100", due + timedelta(hours=2)),
        ]:
            key = f"dms@{at:%Y-%m-%dT%H:%MZ}/dm:{user}"
            store.claim(session, key, "a", at, timedelta(minutes=10), schedule="dms", due=at)
            store.mark_posted(session, key, at, channel, ts)
    shown = texts(open_home(bot, LEAD)["blocks"])
    assert "each lead's DM" in shown and "Last run: _never run_" in shown
    assert "Your DM: :white_check_mark: posted" in shown
    assert "https://annobot-test.slack.com/archives/D0LEAD1/p1700000001000100" in shown
    assert "D0LEAD2" not in shown


def test_a_schedule_added_from_slack_is_listed_and_sent_like_a_config_one(
    make_home_bot: Any, engine: Engine
) -> None:
    """The Home tab reads the one accessor of schedules: `/quality schedule add`'s are there too."""
    from bot.store import digest_schedules as stored

    bot = make_home_bot(digests=(MORNING,))
    fields = {"projects": [P.name], "targets": [CHANNEL], "cron": "15 6 * * *", "timezone": "Asia/Tokyo"}
    with session_scope(engine) as session:
        stored.add_schedule(session, "tokyo", fields, LEAD, datetime.now(UTC))
    view = open_home(bot, LEAD)
    tokyo = next(
        b["text"]["text"] for b in view["blocks"] if b.get("text", {}).get("text", "").startswith("*tokyo*")
    )
    assert "`15 6 * * *` Asia/Tokyo" in tokyo and "06:15" in tokyo
    assert "tokyo" in buttons(view["blocks"], HOME_DIGEST_SEND)
    assert "tokyo" in buttons(view["blocks"], HOME_DIGEST_PREVIEW)
