"""Socket Mode, the console, ssl_check and url_verification still work now that HTTP requests are verified in front of Bolt."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qsl

import pytest
from slack_bolt.adapter.socket_mode.internals import run_bolt_app
from slack_sdk.socket_mode.request import SocketModeRequest
from sqlalchemy import Engine, func, select

from bot.config import Config
from bot.console.server import ConsoleSlack
from bot.console.session import ConsoleSession, build_app
from bot.slack.app import create_app
from bot.store.db import session_scope
from bot.store.models.slack import SlackRequest
from tests.bot.helpers import Bot, bot_config, texts
from tests.support.fakeslack import FakeSlack
from tests.support.published import examples_published
from tests.support.slackreq import slash_command_body, url_verification_body


def test_socket_mode_dispatches_dict_bodies(engine: Engine, fake: FakeSlack) -> None:
    # Socket Mode requests arrive over the app-token connection, as dicts, with no signature.
    examples_published(engine)
    app = create_app(bot_config(fake.url), client=fake.client(), engine=engine)
    command = dict(
        parse_qsl(slash_command_body("/guide", "payload sarcasm", response_url=fake.response_url("sock")))
    )
    response = run_bolt_app(app, SocketModeRequest("slash_commands", "env-1", command))
    assert response.status == 200
    [reply] = fake.wait_for_response("sock")
    assert "Sarcasm and irony" in texts(reply.params["blocks"])
    mention = {
        "type": "event_callback",
        "event_id": "EvSock",
        "team_id": "T111",
        "api_app_id": "A111",
        "event": {
            "type": "app_mention",
            "user": "U1",
            "text": "<@UBOT> sar\x00casm",
            "ts": "2.1",
            "channel": "C1",
        },
    }
    assert run_bolt_app(app, SocketModeRequest("events_api", "env-2", mention)).status == 200
    [post] = fake.wait_for("chat.postMessage")
    assert post.params["thread_ts"] == "2.1"


@pytest.fixture
def console_slack() -> Iterator[ConsoleSlack]:
    with ConsoleSlack() as server:
        yield server


def test_console_goes_through_the_same_edge(console_slack: ConsoleSlack, db_url: str, engine: Engine) -> None:
    examples_published(engine)
    secret = ConsoleSession.new_secret()
    session = ConsoleSession(
        build_app(Config(database_url=db_url), console_slack, secret, engine), console_slack, secret
    )
    outcome = session.command("/guide", "payload & sarcasm")
    assert outcome.status == 200
    shown = "\n".join(texts(d.payload) for d in outcome.deliveries)
    assert "Sarcasm and irony" in shown and "payload &amp; sarcasm" in shown
    outcome = session.mention("<@U999> sarcasm @9.9.9")
    assert outcome.status == 200
    assert "no guideline has a published version 9.9.9" in "\n".join(
        texts(d.payload) for d in outcome.deliveries
    )
    # A request signed with another secret is refused like over HTTP.
    forged = ConsoleSession(session.app, console_slack, "not-the-secret")
    assert forged.command("/guide", "sarcasm").status == 401


def test_signed_ssl_check_and_url_verification_still_answer(bot: Bot) -> None:
    status, _, body = bot.slack.send("ssl_check=1&token=deprecated")
    assert (status, body) == (200, "")
    status, _, body = bot.slack.send(url_verification_body("chal-1"))
    assert status == 200 and "chal-1" in body
    with session_scope(bot.engine) as s:
        assert s.scalar(select(func.count()).select_from(SlackRequest)) == 0
    assert bot.fake.requests() == []
