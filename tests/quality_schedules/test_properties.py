"""Arbitrary `/quality schedule …` text: always an ephemeral answer, never a traceback, never a non-lead's write."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.errors import InputError
from bot.jobs.quality_schedule import tokenize
from bot.slack.edge import GENERIC
from tests.bot.helpers import texts
from tests.conftest import row_counts
from tests.quality_schedules.conftest import ANNOTATOR, LEAD, ask, stored

WORDS = st.sampled_from(
    [
        "add",
        "list",
        "pause",
        "resume",
        "remove",
        "help",
        "x",
        "config-morning",
        "p",
        "q",
        "p,q",
        '"0 9 * * 1-5"',
        "“0 9 * * *”",
        '"',
        "Europe/Berlin",
        "UTC",
        "<#C0QA12345|qa>",
        "<#C0QA1>",
        "#general",
        "leads-dm",
        "C0QA12345",
        "window=7d",
        "window=0d",
        "holidays=DE",
        "holidays=ZZ-9",
        "charts=off",
        "html=maybe",
        "grace=2h",
        "grace=",
        "working-days",
        "&lt;b&gt;",
        "*bold*",
        "\x00",
    ]
)
TEXT = st.one_of(st.text(max_size=120), st.lists(WORDS, max_size=9).map(" ".join))


@given(text=TEXT)
@settings(max_examples=300, deadline=None)
def test_tokenize_gives_words_or_an_input_error(text: str) -> None:
    try:
        tokens = tokenize(text)
    except InputError as exc:
        assert "quote" in exc.message
        return
    assert all(t.text or t.quoted for t in tokens)


_BOTS: dict[int, Any] = {}


def _bot(make_bot: Any) -> Any:
    # One app per test (the fixtures are function-scoped, the examples share them).
    if id(make_bot) not in _BOTS:
        _BOTS.clear()
        _BOTS[id(make_bot)] = make_bot()
    return _BOTS[id(make_bot)]


@given(text=TEXT, lead=st.booleans())
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(text='add x p "0 9 * * 1-5" <#C0QA12345|qa>', lead=False)
@example(text='add x p "0 9 * * 1-5" <#C0QA12345|qa>', lead=True)
@example(text="remove config-morning", lead=True)
@example(text="pause x", lead=False)
def test_any_schedule_text_answers_ephemerally_and_a_non_lead_writes_nothing(
    make_bot: Any, text: str, lead: bool
) -> None:
    bot = _bot(make_bot)
    before, schedules = row_counts(bot.engine), stored(bot.engine)
    pages = ask(bot, f"schedule {text}", user=LEAD if lead else ANNOTATOR)
    assert pages and all(p["response_type"] == "ephemeral" for p in pages)
    shown = texts(pages)
    assert GENERIC not in shown and "Traceback" not in shown
    assert any(s in shown for s in (":warning:", ":white_check_mark:", "Digest schedules", "How to use"))
    if not lead:
        after = row_counts(bot.engine)
        # Only the audit trail (denials) and the replay claims grow; no schedule changes.
        changed = {k for k in after if after[k] != before[k]} - {"audit_events", "slack_requests"}
        assert changed == set() and stored(bot.engine) == schedules
