"""Fixtures for the bot over real HTTP with projects configured: `fake` and `make_bot` (import them into a
conftest: `from tests.support.projectbot import fake, make_bot, publish_example_guidelines`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine

from bot.config import ProjectConfig
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
def publish_example_guidelines() -> bool:
    """Whether make_bot publishes the example guidelines first (a conftest may override it)."""
    return True


@pytest.fixture
def make_bot(
    engine: Engine, fake: FakeSlack, publish_example_guidelines: bool
) -> Iterator[Callable[..., Bot]]:
    """Start the HTTP app with these projects configured (the example guidelines published, by default)."""
    servers = []
    if publish_example_guidelines:
        examples_published(engine)

    def start(*projects: ProjectConfig) -> Bot:
        config = dataclasses.replace(bot_config(fake.url), projects=projects)
        app = create_app(config, client=fake.client(), engine=engine)
        server, port = serve_in_thread(make_wsgi_app(app, engine))
        servers.append(server)
        return Bot(fake, engine, server, port, TimedClient(f"http://127.0.0.1:{port}/slack/events", SECRET))

    yield start
    for server in servers:
        server.stop()
