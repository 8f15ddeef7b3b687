"""The Home tab's scheduled digests over real HTTP against the fake Slack: project `p` imported through
the CLI, a lead, schedules in the config (SQLite and PostgreSQL)."""

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
from reports.schedule.model import Schedule
from tests.bot.helpers import SECRET, Bot, TimedClient, bot_config
from tests.schedules.delivery_support import CHANNEL, schedule, seed
from tests.support.projectbot import fake  # noqa: F401  (fixture)

LEAD = "ULEAD1"
ANNOTATOR = "U111"  # the requests' default user
P = ProjectConfig(name="p", guideline="mini", channels=(CHANNEL,), leads=(LEAD,))
Q = ProjectConfig(name="q", guideline="mini", channels=("C0OTHER01",), leads=("ULEAD2",))
HOME = {"id": "VHOME1", "type": "home"}
# Weekdays 09:00 Berlin over the last 7 days (the seeded annotations lie in the last day).
MORNING = schedule(window="7d")


@pytest.fixture
def seeded(db_url: str, tmp_path: Path) -> datetime:
    """Project p with 120 annotations from 20 hours ago on; returns the first instant."""
    first = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=20)
    seed(db_url, tmp_path, first)
    return first


@pytest.fixture
def make_home_bot(engine: Engine, fake: Any) -> Iterator[Callable[..., Bot]]:
    """Start the HTTP app with these projects and [[digests]] schedules configured."""
    servers = []

    def start(projects: tuple[ProjectConfig, ...] = (P,), digests: tuple[Schedule, ...] = (MORNING,)) -> Bot:
        config = dataclasses.replace(bot_config(fake.url), projects=projects, digests=digests)
        app = create_app(config, client=fake.client(), engine=engine)
        server, port = serve_in_thread(make_wsgi_app(app, engine))
        servers.append(server)
        return Bot(fake, engine, server, port, TimedClient(f"http://127.0.0.1:{port}/slack/events", SECRET))

    yield start
    for server in servers:
        server.stop()


_EVENTS = iter(range(1, 10**9))


def open_home(bot: Bot, user: str) -> dict[str, Any]:
    """app_home_opened as `user`, signed: the view published for them."""
    before = len([c for c in bot.fake.calls("views.publish") if c.params.get("user_id") == user])
    event = {"type": "app_home_opened", "user": user, "channel": "D1", "tab": "home", "event_ts": "1.2"}
    status, _, _ = bot.slack.event(event, f"EvHome{next(_EVENTS)}")
    assert status == 200
    return published(bot, user, before + 1)


def published(bot: Bot, user: str, count: int) -> dict[str, Any]:
    """The `count`-th view published for `user` (waits for it)."""
    deadline = time.monotonic() + 10
    while True:
        calls = [c for c in bot.fake.calls("views.publish") if c.params.get("user_id") == user]
        if len(calls) >= count:
            return calls[count - 1].param_json("view")
        assert time.monotonic() < deadline, f"no views.publish #{count} for {user}"
        time.sleep(0.02)


def click(bot: Bot, action_id: str, value: str, user: str, view: dict[str, Any] | None = None) -> None:
    """A button on the Home tab (no response_url, as Slack sends from a view)."""
    # A trigger of its own: the same click twice in one second would otherwise be the same signed
    # request, which the edge drops as a replay.
    trigger = f"{next(_EVENTS)}.222.valid"
    status, _, _ = bot.slack.action(
        action_id, value, user_id=user, response_url=None, view=view or HOME, trigger_id=trigger
    )
    assert status == 200


def wait_calls(bot: Bot, method: str, count: int) -> list[Any]:
    """At least `count` calls of `method` (waits for them)."""
    return bot.fake.wait_for(method, count=count)


def audit_rows(engine: Engine, user: str) -> list[audit.AuditEntry]:
    """The user's audit rows, oldest first."""
    with session_scope(engine) as session:
        return list(reversed(audit.list_events(session, user_id=user)))
