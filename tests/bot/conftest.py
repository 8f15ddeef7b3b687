"""The bot under test: examples published, HTTP app on 127.0.0.1 (port 0), a FakeSlack for the Web API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from bot.server import make_wsgi_app, serve_in_thread
from bot.slack.app import create_app
from tests.bot.helpers import SECRET, Bot, TimedClient, bot_config
from tests.support.fakeslack import FakeSlack
from tests.support.published import examples_published


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    """A started FakeSlack."""
    with FakeSlack() as f:
        yield f


@pytest.fixture
def bot(engine: Engine, fake: FakeSlack) -> Iterator[Bot]:
    """The HTTP app with the examples published, talking to the fake."""
    examples_published(engine)
    config = bot_config(fake.url)
    app = create_app(config, client=fake.client(), engine=engine)
    server, port = serve_in_thread(make_wsgi_app(app, engine))
    try:
        yield Bot(fake, engine, server, port, TimedClient(f"http://127.0.0.1:{port}/slack/events", SECRET))
    finally:
        server.stop()
