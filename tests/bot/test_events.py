"""Events: retries are answered once, 429s are retried, mentions answer in a thread, App Home."""

from __future__ import annotations

import time

from sqlalchemy import func, select

from bot.slack.home.builder import HOME_DIFF, HOME_HELP
from bot.store.db import session_scope
from bot.store.models.slack import SlackEvent
from tests.bot.helpers import Bot, buttons, texts

MENTION = {
    "type": "app_mention",
    "user": "U111",
    "text": "<@UBOT> how do I label sarcasm?",
    "ts": "1700000001.000100",
    "channel": "C111",
    "event_ts": "1700000001.000100",
}


def _events(bot: Bot) -> int:
    with session_scope(bot.engine) as s:
        return s.scalar(select(func.count()).select_from(SlackEvent)) or 0


def test_mention_answers_in_a_thread(bot: Bot) -> None:
    status, _, _ = bot.slack.event(MENTION, "EvM1")
    assert status == 200
    [post] = bot.fake.wait_for("chat.postMessage")
    assert post.params["channel"] == "C111"
    assert post.params["thread_ts"] == MENTION["ts"]
    assert "`#sarcasm`" in texts(post.param_json("blocks"))


def test_retried_event_is_answered_once(bot: Bot) -> None:
    assert bot.slack.event(MENTION, "EvRetry")[0] == 200
    bot.fake.wait_for("chat.postMessage")
    for retry in (1, 2, 3):
        assert bot.slack.event(MENTION, "EvRetry", retry_num=retry)[0] == 200
    time.sleep(0.5)  # a duplicate would be answered by now
    assert len(bot.fake.calls("chat.postMessage")) == 1
    assert _events(bot) == 1


def test_rate_limited_post_is_retried_and_arrives_once(bot: Bot) -> None:
    bot.fake.fail_next("chat.postMessage", 429, retry_after=1)
    assert bot.slack.event(MENTION, "Ev429")[0] == 200
    bot.fake.wait_for("chat.postMessage", timeout=10)
    time.sleep(0.3)  # a second delivery would show up now
    calls = bot.fake.calls("chat.postMessage")
    limited, delivered = calls[0], [c for c in calls if c.delivered]
    assert limited.status == 429 and len(delivered) == 1
    assert delivered[0].time - limited.time >= 1.0  # Retry-After honoured


def test_app_home_lists_guidelines_and_recent_lookups(bot: Bot) -> None:
    bot.slack.command("/guide", "sarcasm", response_url=bot.fake.response_url("r"))
    bot.fake.wait_for_response("r")
    home = {"type": "app_home_opened", "user": "U111", "channel": "D111", "tab": "home", "event_ts": "1.2"}
    assert bot.slack.event(home, "EvHome")[0] == 200
    [publish] = bot.fake.wait_for("views.publish")
    assert publish.params["user_id"] == "U111"
    view = publish.param_json("view")
    assert view["type"] == "home"
    shown = texts(view)
    for slug in ("product-sentiment", "contract-ner", "query-relevance"):
        assert f"`{slug}`" in shown
    assert "current `v1.1.0`" in shown
    assert "*sarcasm*" in shown and "`#sarcasm`" in shown


def test_home_buttons_open_modals(bot: Bot) -> None:
    home = {"type": "app_home_opened", "user": "U111", "channel": "D111", "tab": "home", "event_ts": "1.3"}
    bot.slack.event(home, "EvHome2")
    view = bot.fake.wait_for("views.publish")[0].param_json("view")
    [diff_value] = [v for v in buttons(view["blocks"], HOME_DIFF) if v.startswith("product-sentiment")]
    home_view_ = {"id": "VHOME", "type": "home"}
    bot.slack.action(HOME_HELP, "help", response_url=None, view=home_view_)
    bot.slack.action(HOME_DIFF, diff_value, response_url=None, view=home_view_)
    opened = bot.fake.wait_for("views.open", count=2)
    shown = "\n".join(texts(c.param_json("view")) for c in opened)
    assert "How to use /guide" in shown and "`#purchase-intent`" in shown
