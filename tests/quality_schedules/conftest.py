"""`/quality schedule` over real HTTP against the fake Slack: project p (lead LEAD), a config schedule."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine

from bot.config import ProjectConfig
from bot.server import make_wsgi_app, serve_in_thread
from bot.slack.app import create_app
from bot.store import digest_schedules
from bot.store.db import session_scope
from tests.bot.helpers import SECRET, Bot, TimedClient, bot_config
from tests.schedules.delivery_support import schedule
from tests.support.projectbot import fake  # noqa: F401  (fixture)

LEAD = "ULEAD1"
ANNOTATOR = "U111"  # the requests' default user
CHANNEL = "C111"
P = ProjectConfig(name="p", guideline="mini", channels=(CHANNEL,), leads=(LEAD,))
Q = ProjectConfig(name="q", guideline="mini", channels=("C222",), leads=("ULEAD2",))
# A [[digests]] table of the config: listed, never changed from Slack.
CONFIGURED = schedule(name="config-morning", targets=["C0CONFIG1"])


@pytest.fixture
def make_bot(engine: Engine, fake: Any) -> Iterator[Callable[..., Bot]]:
    """Start the HTTP app with projects p and q and the config schedule `config-morning`."""
    servers = []

    def start() -> Bot:
        config = dataclasses.replace(bot_config(fake.url), projects=(P, Q), digests=(CONFIGURED,))
        app = create_app(config, client=fake.client(), engine=engine)
        server, port = serve_in_thread(make_wsgi_app(app, engine))
        servers.append(server)
        return Bot(fake, engine, server, port, TimedClient(f"http://127.0.0.1:{port}/slack/events", SECRET))

    yield start
    for server in servers:
        server.stop()


_COUNTER = [0]


def ask(bot: Bot, text: str, *, user: str = ANNOTATOR) -> list[dict[str, Any]]:
    """`/quality TEXT` as `user`: the parameters of every message posted to its response_url."""
    _COUNTER[0] += 1
    name = f"s{_COUNTER[0]}"
    url = bot.fake.response_url(name)
    status, _, _ = bot.slack.command("/quality", text, user_id=user, channel_id=CHANNEL, response_url=url)
    assert status == 200
    assert bot.fake.wait_for_response(name)
    time.sleep(0.05)  # a later page of the same answer
    return [c.params for c in bot.fake.responses(name)]


def stored(engine: Engine) -> dict[str, digest_schedules.StoredSchedule]:
    """The Slack-added schedules by name."""
    with session_scope(engine) as session:
        return {s.name: s for s in digest_schedules.list_schedules(session)}
