"""A Slack-added `leads-dm` schedule: the leads' DMs follow its state (added, paused, resumed)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.fakeslack import FakeSlack
from bot.jobs.schedule import tick
from bot.jobs.schedule_source import PAUSED_REASON
from bot.store import digest_schedules
from bot.store.db import session_scope
from tests.schedules.delivery_support import client, history, posts, seed
from tests.schedules.test_leads_dm import BERLIN, lead_config

MONDAY = datetime(2027, 3, 1, tzinfo=UTC)  # 09:00 in Berlin is 08:00Z
FIELDS = {"projects": ["p"], "targets": ["leads-dm"], "cron": "0 9 * * mon-fri", "timezone": "UTC"}
FIELDS |= {"charts": False, "html": False}


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as f:
        f.add_user(BERLIN, tz="Europe/Berlin")
        yield f


def _pause(engine: Engine, paused: bool, at: datetime) -> None:
    with session_scope(engine) as session:
        assert digest_schedules.set_paused(session, "dm", paused, at)


def test_a_slack_leads_dm_schedule_posts_dms_and_skips_them_while_paused(
    db_url: str, engine: Engine, tmp_path: Path, fake: FakeSlack
) -> None:
    seed(db_url, tmp_path, MONDAY - timedelta(hours=20))
    cfg, slack = dataclasses.replace(lead_config(BERLIN), digests=()), client(fake)
    with session_scope(engine) as session:
        digest_schedules.add_schedule(session, "dm", FIELDS, BERLIN, MONDAY + timedelta(hours=7))
    # Monday 09:00 Berlin (08:00Z): the lead's DM.
    assert tick(engine, cfg, slack, MONDAY + timedelta(hours=8, minutes=1), "r").posted
    assert [c.params["channel"] for c in posts(fake)] == [BERLIN]
    # Paused over Tuesday's run: recorded skipped, nothing posted, and nothing late after the resume.
    _pause(engine, True, MONDAY + timedelta(hours=12))
    tuesday = MONDAY + timedelta(days=1, hours=8)
    assert tick(engine, cfg, slack, tuesday + timedelta(minutes=1), "r").posted == []
    _pause(engine, False, tuesday + timedelta(hours=1))
    assert tick(engine, cfg, slack, tuesday + timedelta(hours=1, minutes=1), "r").posted == []
    assert len(posts(fake)) == 1
    runs = [(r["status"], r["reason"]) for r in history(db_url, "--schedule", "dm")]
    assert runs == [("skipped", PAUSED_REASON), ("posted", None)]


def test_runs_due_before_a_slack_leads_dm_schedule_was_added_are_not_its_own(
    db_url: str, engine: Engine, tmp_path: Path, fake: FakeSlack
) -> None:
    seed(db_url, tmp_path, MONDAY - timedelta(hours=20))
    cfg = dataclasses.replace(lead_config(BERLIN), digests=())
    with session_scope(engine) as session:
        # Added at 08:30Z, after the lead's 09:00 Berlin (08:00Z) run, within its grace.
        digest_schedules.add_schedule(session, "dm", FIELDS, BERLIN, MONDAY + timedelta(hours=8, minutes=30))
    done = tick(engine, cfg, client(fake), MONDAY + timedelta(hours=8, minutes=31), "r")
    assert done.posted == done.skipped == [] and posts(fake) == []
