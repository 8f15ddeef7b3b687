"""Forged or stale requests get 401 and change nothing; any typed text reaches the handler intact."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from bot.slack.blocks.mrkdwn import escape
from bot.store.db import session_scope
from bot.store.models.slack import Lookup
from tests.bot.helpers import SECRET, Bot, texts
from tests.conftest import row_counts
from tests.support.slackreq import event_body, sign, slash_command_body

MENTION = {"type": "app_mention", "user": "U1", "text": "<@UBOT> sarcasm", "ts": "1.1", "channel": "C1"}


@pytest.mark.parametrize(
    "body",
    [slash_command_body("/guide", "sarcasm"), event_body(MENTION, "EvForged")],
    ids=["command", "event"],
)
def test_forged_and_stale_requests_get_401_and_change_nothing(bot: Bot, body: str) -> None:
    before = row_counts(bot.engine)
    forged = sign("not-the-secret", body)
    stale = sign(SECRET, body, timestamp=int(time.time()) - 301)
    tampered = {**sign(SECRET, body), "X-Slack-Signature": "v0=" + "0" * 64}
    for headers in (forged, stale, tampered):
        status, _, _ = bot.slack.send(body, headers=headers)
        assert status == 401
    time.sleep(0.3)
    assert bot.fake.requests() == []
    assert row_counts(bot.engine) == before


TYPED = [
    "\"quoted phrase\" and 'single'",
    "a & b = c + d % e",
    "see https://example.com/a?b=1&c=2%20d+e#frag",
    "emoji 👍🏽 :thumbsup: 中文",
    "line one\nline two\n\nline four",
    "<@U123> <!here> |pipe| `tick`",
    "x" * 1990 + " sarcasm",
]


@pytest.mark.parametrize("text", TYPED, ids=[f"t{i}" for i in range(len(TYPED))])
def test_any_typed_text_reaches_the_handler_intact(bot: Bot, text: str) -> None:
    assert len(text) <= 2000
    # Slack's client sends typed `&`, `<`, `>` as entities; typed `<@U123>` is text, not a mention.
    bot.slack.command("/guide", escape(text), response_url=bot.fake.response_url("t"))
    [reply] = bot.fake.wait_for_response("t")
    with session_scope(bot.engine) as s:
        stored = s.scalars(select(Lookup.query)).all()
    assert stored == [text.strip()]
    echo = escape(" ".join(text.split()))
    assert echo[:400] in texts(reply.params["blocks"])
