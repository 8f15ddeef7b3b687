"""`/quality` over real HTTP against the fake Slack: project `p` imported through the CLI, a lead."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from bot.config import ProjectConfig
from bot.store import audit
from bot.store.db import session_scope
from tests.bot.helpers import Bot
from tests.schedules.delivery_support import seed
from tests.support.projectbot import fake, make_bot  # noqa: F401  (fixtures; publish_example_guidelines is overridden below)

LEAD = "ULEAD1"
ANNOTATOR = "U111"  # the requests' default user
CHANNEL = "C111"
P = ProjectConfig(name="p", guideline="mini", channels=(CHANNEL,), leads=(LEAD,))
OTHER = ProjectConfig(name="other", guideline="mini", channels=("C222",), leads=(LEAD,))


@pytest.fixture
def publish_example_guidelines() -> bool:
    """The tests seed their own guideline (`mini`): no examples."""
    return False


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
