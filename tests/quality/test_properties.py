"""Arbitrary `/quality` text: a digest query or a clear InputError (pure), and never a 5xx over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.errors import InputError
from bot.jobs.quality import MAX_DAYS, parse_quality_text
from bot.slack.edge import GENERIC
from tests.bot.helpers import texts
from tests.quality.conftest import P, ask

NOW = datetime(2026, 3, 29, 12, 0, tzinfo=UTC)
WORDS = st.sampled_from(
    ["p", "other", "help", "7d", "24h", "0d", "999999h", "since", "2026-01-01", "2026-02-30", "x"]
)
TEXT = st.one_of(st.text(max_size=80), st.lists(WORDS, max_size=5).map(" ".join))


@given(text=TEXT, projects=st.lists(st.sampled_from(["p", "other", "x y"]), unique=True, max_size=3))
@settings(max_examples=400, deadline=None)
def test_any_text_is_a_query_or_an_input_error(text: str, projects: list[str]) -> None:
    try:
        query = parse_quality_text(text, projects, NOW, "Europe/Berlin")
    except InputError as exc:
        assert exc.message and len(exc.message) < 400
        return
    if query is None:
        assert text.strip().lower() in ("help", "-h", "--help")
        return
    assert query.project in projects
    assert query.end == NOW and NOW - timedelta(days=MAX_DAYS + 400) < query.start < NOW


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("", NOW - timedelta(days=7)),
        ("p", NOW - timedelta(days=7)),
        ("3d p", NOW - timedelta(days=3)),
        ("p 24H", NOW - timedelta(hours=24)),
        # Local midnight: Berlin is UTC+1 before the change to summer time on 29 March 2026.
        ("p since 2026-03-22", datetime(2026, 3, 21, 23, tzinfo=UTC)),
    ],
)
def test_windows(text: str, start: datetime) -> None:
    query = parse_quality_text(text, ["p"], NOW, "Europe/Berlin")
    assert query is not None and (query.project, query.start, query.end) == ("p", start, NOW)


@given(text=TEXT)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_text_over_http_answers_ephemerally(make_bot: Any, seeded: datetime, text: str) -> None:
    bot = _bot(make_bot)
    pages = ask(bot, text, name=f"h{abs(hash(text))}")
    assert all(page["response_type"] == "ephemeral" for page in pages)
    shown = texts(pages)
    assert GENERIC not in shown
    assert "Quality digest" in shown or ":warning:" in shown or "How to use" in shown


_BOTS: dict[int, Any] = {}


def _bot(make_bot: Any) -> Any:
    # One app per test (the fixtures are function-scoped, the examples share them).
    if id(make_bot) not in _BOTS:
        _BOTS.clear()
        _BOTS[id(make_bot)] = make_bot(P)
    return _BOTS[id(make_bot)]
