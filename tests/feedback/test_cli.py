"""`annobot lookups unanswered`: grouping by normalised question, filters, escaping, bad input (both backends)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, update

from bot.store.db import session_scope
from bot.store.feedback import own_lookup, record_unanswered
from bot.store.lookups import record_lookup
from bot.store.models.feedback import UnansweredQuestion
from tests.support.guidelines import run_cli


def _mark(engine: Engine, user: str, question: str, guideline: str | None, at: datetime) -> None:
    with session_scope(engine) as s:
        lookup_id = record_lookup(s, user, question, channel="C1", hits=[])
        lookup = own_lookup(s, lookup_id, user)
        assert lookup is not None and record_unanswered(s, lookup, guideline, "1.0.0")
        s.execute(
            update(UnansweredQuestion).where(UnansweredQuestion.lookup_id == lookup_id).values(created_at=at)
        )


def test_questions_are_grouped_filtered_and_escaped(db_url: str, engine: Engine) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    _mark(engine, "U1", "Is a GIF an emoji?", "mini", now - timedelta(days=3))
    _mark(engine, "U2", "is a gif an EMOJI", "mini", now - timedelta(hours=1))  # the same question
    _mark(engine, "U3", "what about\x1b[31m red?", "other", now - timedelta(days=10))
    rows = json.loads(run_cli(db_url, "lookups", "unanswered", "--json").output)
    assert [(r["question"], r["guideline"], r["times"]) for r in rows] == [
        ("is a gif an EMOJI", "mini", 2),  # as last asked, most asked first
        ("what about\x1b[31m red?", "other", 1),
    ]
    assert rows[0]["first_asked"] == (now - timedelta(days=3)).isoformat()
    since = (now - timedelta(days=5)).date().isoformat()
    recent = json.loads(run_cli(db_url, "lookups", "unanswered", "--since", since, "--json").output)
    assert [r["guideline"] for r in recent] == ["mini"]
    text = run_cli(db_url, "lookups", "unanswered", "--guideline", "other").output
    assert "\x1b" not in text and "what about\\x1b[31m red?" in text


def test_nothing_unanswered_and_a_bad_since(db_url: str) -> None:
    assert run_cli(db_url, "lookups", "unanswered").output.strip() == "no unanswered questions"
    bad = run_cli(db_url, "lookups", "unanswered", "--since", "yesterday")
    assert bad.exit_code == 2 and "--since: not an ISO 8601 date or time: 'yesterday'" in bad.output
