"""Every typed word reaches its handler: arbitrary text in each user-controlled field, signed, over HTTP.

Bolt's parser dispatched a form body containing the word "payload" anywhere (a command's text, a
user, channel or team name) as an empty body: 404 "unhandled request". Here each field of each
payload kind gets arbitrary Unicode mixed with the words and characters that broke parsing, and
the listener must get the field as typed (control characters dropped, by design) and answer.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_bolt import Ack
from sqlalchemy import Engine

from bot.server import make_wsgi_app, serve_in_thread
from bot.slack.app import create_app
from bot.slack.blocks.section_link import GUIDE_SHOW_SECTION
from bot.slack.request import drop_controls
from tests.bot.helpers import SECRET, Bot, TimedClient, bot_config
from tests.support.fakeslack import FakeSlack
from tests.support.published import examples_published
from tests.support.slackreq import (
    block_actions_body,
    event_body,
    options_body,
    shortcut_body,
    slash_command_body,
    view_submission_body,
)

TRICKY = [
    "payload",
    "payloads",
    "payload=",
    "payload={}",
    "&payload=%7B%7D",
    "&",
    "=",
    "+",
    "%",
    "%2",
    "%zz",
    "%20",
    "ssl_check=1",
    "{",
    "[",
    "&amp;",
    "<@U1>",
    "\x00",
    " ",
]
TYPED = st.lists(st.one_of(st.text(max_size=12), st.sampled_from(TRICKY)), max_size=6).map("".join)
SETTINGS = settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


class Seen:
    """Bodies the app's listeners were dispatched with, as they got them (after every middleware)."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []

    def middleware(self, body: dict[str, Any], next: Callable[[], Any]) -> Any:
        self.bodies.append(body)
        return next()


@pytest.fixture
def typed(engine: Engine, fake: FakeSlack) -> Iterator[tuple[Bot, Seen]]:
    """The real app plus tiny listeners for the kinds annobot has none of yet, served on loopback."""
    examples_published(engine)
    app = create_app(bot_config(fake.url), client=fake.client(), engine=engine)
    seen = Seen()
    app.middleware(seen.middleware)

    def just_ack(ack: Ack) -> None:
        ack()

    def offer(ack: Ack, body: dict[str, Any]) -> None:
        value = body["value"][:70] or "empty"
        ack(options=[{"text": {"type": "plain_text", "text": value}, "value": "v"}])

    app.view("t_view")(just_ack)
    app.options("t_options")(offer)
    app.shortcut("t_message")(just_ack)
    server, port = serve_in_thread(make_wsgi_app(app, engine))
    try:
        bot = Bot(fake, engine, server, port, TimedClient(f"http://127.0.0.1:{port}/slack/events", SECRET))
        yield bot, seen
    finally:
        server.stop()


_ids = itertools.count()


def _unique() -> str:
    return f"n{next(_ids)}"


def _send(bot: Bot, seen: Seen, body: str) -> tuple[int, str, dict[str, Any]]:
    before = len(seen.bodies)
    status, _, text = bot.slack.send(body)
    assert status == 200, (status, text)
    # Middleware runs before the ack, on the request thread: the body is recorded by now.
    assert len(seen.bodies) == before + 1, "the request never reached the app's listeners"
    return status, text, seen.bodies[-1]


def test_command_fields(typed: tuple[Bot, Seen]) -> None:
    bot, seen = typed

    @SETTINGS
    @given(text=TYPED, user_name=TYPED, channel_name=TYPED, team_domain=TYPED)
    def check(text: str, user_name: str, channel_name: str, team_domain: str) -> None:
        name = _unique()
        fields = {"user_name": user_name, "channel_name": channel_name, "team_domain": team_domain}
        body = slash_command_body("/guide", text, response_url=bot.fake.response_url(name), **fields)
        _, ack, got = _send(bot, seen, body)
        assert ack == ""
        for field, value in {"text": text, **fields}.items():
            assert got[field] == drop_controls(value), field
        bot.fake.wait_for_response(name)  # the /guide listener answered

    check()


def test_block_action_value(typed: tuple[Bot, Seen]) -> None:
    bot, seen = typed

    @SETTINGS
    @given(value=TYPED)
    def check(value: str) -> None:
        name = _unique()
        body = block_actions_body(GUIDE_SHOW_SECTION, value, response_url=bot.fake.response_url(name))
        _, _, got = _send(bot, seen, body)
        assert got["actions"][0]["value"] == drop_controls(value)
        bot.fake.wait_for_response(name)  # the section, or why the button points nowhere

    check()


def test_view_submission_input(typed: tuple[Bot, Seen]) -> None:
    bot, seen = typed

    @SETTINGS
    @given(value=TYPED, metadata=TYPED)
    def check(value: str, metadata: str) -> None:
        state = {"b_text": {"a_text": {"type": "plain_text_input", "value": value}}}
        body = view_submission_body("t_view", state, private_metadata=metadata, trigger_id=_unique())
        _, _, got = _send(bot, seen, body)
        assert got["view"]["state"]["values"]["b_text"]["a_text"]["value"] == drop_controls(value)
        assert got["view"]["private_metadata"] == drop_controls(metadata)

    check()


def test_options_load_value(typed: tuple[Bot, Seen]) -> None:
    bot, seen = typed

    @SETTINGS
    @given(value=TYPED)
    def check(value: str) -> None:
        _, ack, got = _send(bot, seen, options_body("t_options", value, trigger_id=_unique()))
        assert got["value"] == drop_controls(value)
        shown = drop_controls(value)[:70] or "empty"
        assert json.loads(ack)["options"][0]["text"]["text"] == shown

    check()


def test_message_shortcut_text(typed: tuple[Bot, Seen]) -> None:
    bot, seen = typed

    @SETTINGS
    @given(value=TYPED)
    def check(value: str) -> None:
        message = {"type": "message", "user": "U222", "text": value, "ts": "1700000000.000200"}
        body = shortcut_body("t_message", message=message, trigger_id=_unique())
        _, _, got = _send(bot, seen, body)
        assert got["message"]["text"] == drop_controls(value)

    check()


def test_app_mention_text(typed: tuple[Bot, Seen]) -> None:
    bot, seen = typed

    @SETTINGS
    @given(value=TYPED)
    def check(value: str) -> None:
        n = next(_ids)
        ts = f"1700000000.{n:06d}"
        event = {
            "type": "app_mention",
            "user": "U111",
            "text": f"<@UBOT> {value}",
            "ts": ts,
            "channel": "C111",
        }
        _, _, got = _send(bot, seen, event_body(event, f"EvTyped{n}"))
        assert got["event"]["text"] == drop_controls(f"<@UBOT> {value}")
        # Answered in the thread, whatever was typed (a search, help, or why it cannot answer).
        deadline = time.monotonic() + 5
        while not [c for c in bot.fake.calls("chat.postMessage") if c.params.get("thread_ts") == ts]:
            assert time.monotonic() < deadline, f"no answer in the thread for {value!r}"
            time.sleep(0.01)

    check()
