"""`/quality` over real HTTP against the fake Slack: project `p` imported through the CLI, a lead."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from bot.config import ProjectConfig
from bot.server import make_wsgi_app, serve_in_thread
from bot.slack.app import create_app
from bot.store import audit
from bot.store.db import session_scope
from tests.bot.helpers import SECRET, Bot, TimedClient, bot_config
from tests.schedules.delivery_support import seed
from tests.support.fakeslack import FakeSlack

LEAD = "ULEAD1"
ANNOTATOR = "U111"  # the requests' default user
CHANNEL = "C111"
P = ProjectConfig(name="p", guideline="mini", channels=(CHANNEL,), leads=(LEAD,))
OTHER = ProjectConfig(name="other", guideline="mini", channels=("C222",), leads=(LEAD,))


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    """A started FakeSlack."""
    with FakeSlack() as f:
        yield f


@pytest.fixture
def make_bot(engine: Engine, fake: FakeSlack) -> Iterator[Callable[..., Bot]]:
    """Start the HTTP app with these projects configured."""
    servers = []

    def start(*projects: ProjectConfig) -> Bot:
        config = dataclasses.replace(bot_config(fake.url), projects=projects)
        app = create_app(config, client=fake.client(), engine=engine)
        server, port = serve_in_thread(make_wsgi_app(app, engine))
        servers.append(server)
        return Bot(fake, engine, server, port, TimedClient(f"http://127.0.0.1:{port}/slack/events", SECRET))

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def seeded(db_url: str, tmp_path: Path) -> datetime:
    """Project p with 120 annotations from 20 hours ago to about 7 hours ago; returns the first instant."""
    first = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=20)
    seed(db_url, tmp_path, first)
    return first


def ask(bot: Bot, text: str, *, user: str = ANNOTATOR, name: str = "q") -> list[dict[str, Any]]:
    """`/quality TEXT` as `user`: the parameters of every message posted to its response_url."""
    url = bot.fake.response_url(name)
    status, _, _ = bot.slack.command("/quality", text, user_id=user, channel_id=CHANNEL, response_url=url)
    assert status == 200
    assert bot.fake.wait_for_response(name)
    time.sleep(0.1)  # a later page of the same answer
    return [c.params for c in bot.fake.responses(name)]


def audit_rows(engine: Engine, user: str) -> list[audit.AuditEntry]:
    """The user's audit rows, oldest first."""
    with session_scope(engine) as session:
        return list(reversed(audit.list_events(session, user_id=user)))
