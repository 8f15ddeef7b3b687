"""The feedback jobs run in worker processes too: they pickle, and their refusals cross the boundary."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from bot.jobs.workers import ProcessWorkers
from bot.server import make_wsgi_app, serve_in_thread
from bot.slack.app import create_app
from bot.slack.blocks.feedback_link import GUIDE_HELPFUL, GUIDE_NONE_OF_THESE
from tests.bot.helpers import SECRET, Bot, TimedClient, bot_config, texts
from tests.feedback.conftest import click, feedback_rows, guide, helpful, none_of_these
from tests.support.fakeslack import FakeSlack
from tests.support.published import examples_published


@pytest.fixture
def process_bot(engine: Engine, fake: FakeSlack) -> Iterator[Bot]:
    """The HTTP app answering through one spawned worker process."""
    examples_published(engine)
    workers = ProcessWorkers(engine.url.render_as_string(hide_password=False), 1)
    workers.start()
    app = create_app(bot_config(fake.url), client=fake.client(), engine=engine, workers=workers)
    server, port = serve_in_thread(make_wsgi_app(app, engine))
    try:
        yield Bot(fake, engine, server, port, TimedClient(f"http://127.0.0.1:{port}/slack/events", SECRET))
    finally:
        server.stop()
        workers.close()


def test_feedback_through_a_worker_process(process_bot: Bot) -> None:
    bot = process_bot
    blocks = guide(bot, "sarcasm")
    assert "Thanks" in texts(click(bot, GUIDE_NONE_OF_THESE, none_of_these(blocks)))
    assert "will come first" in texts(click(bot, GUIDE_HELPFUL, helpful(blocks)[0]))
    assert "asker only" in texts(click(bot, GUIDE_HELPFUL, helpful(blocks)[0], user="U222"))
    assert feedback_rows(bot) == (1, 1)
