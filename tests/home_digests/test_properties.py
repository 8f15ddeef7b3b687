"""Arbitrary values on the Home tab's digest buttons over real HTTP: never a traceback, never a post."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot.slack.edge import GENERIC
from bot.slack.home.schedules import (
    HOME_DIGEST_PAGE,
    HOME_DIGEST_PAGE_BACK,
    HOME_DIGEST_PREVIEW,
    HOME_DIGEST_SEND,
    PREVIEW_CALLBACK,
)
from tests.bot.helpers import texts
from tests.home_digests.conftest import ANNOTATOR, LEAD, click

PREVIEW = {"id": "VPREVIEW1", "type": "modal", "callback_id": PREVIEW_CALLBACK}

VALUES = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        [
            "morning",
            "morning ",
            " morning",
            "Morning",
            "morning 0",
            "morning 1",
            "morning 99999",
            "morning -1",
            "morning ²",
            "evening",
            "<!channel>",
            "m" * 41,
            "../morning",
            "",
        ]
    ),
)


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def errors() -> Iterator[_Errors]:
    """ERROR records (tracebacks) logged anywhere while the test runs."""
    handler = _Errors()
    logging.getLogger().addHandler(handler)
    yield handler
    logging.getLogger().removeHandler(handler)


_BOTS: dict[int, Any] = {}


def _views(bot: Any) -> int:
    return len(bot.fake.calls("views.open")) + len(bot.fake.calls("views.update"))


def _bot(make_home_bot: Any) -> Any:
    # One app per test (the fixtures are function-scoped, the examples share them).
    if id(make_home_bot) not in _BOTS:
        _BOTS.clear()
        _BOTS[id(make_home_bot)] = make_home_bot()
    return _BOTS[id(make_home_bot)]


@given(
    action=st.sampled_from([HOME_DIGEST_SEND, HOME_DIGEST_PREVIEW, HOME_DIGEST_PAGE, HOME_DIGEST_PAGE_BACK]),
    value=VALUES,
    user=st.sampled_from([LEAD, ANNOTATOR]),
    page_in_preview=st.booleans(),
)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_button_value_is_explained_and_posts_nothing(
    make_home_bot: Any,
    seeded: datetime,
    errors: _Errors,
    action: str,
    value: str,
    user: str,
    page_in_preview: bool,
) -> None:
    # The one click that does post: a lead's Send now of the schedule the Home tab lists.
    assume(not (action == HOME_DIGEST_SEND and user == LEAD and value == "morning"))
    bot = _bot(make_home_bot)
    before = _views(bot)
    click(bot, action, value, user, view=PREVIEW if action != HOME_DIGEST_SEND and page_in_preview else None)
    deadline = time.monotonic() + 10
    # An explanation (views.open), or a lead's preview (opened, then updated) or page (updated).
    while _views(bot) == before:
        assert time.monotonic() < deadline, "the click was not answered"
        time.sleep(0.02)
    time.sleep(0.05)
    assert bot.fake.calls("chat.postMessage") == []
    for call in bot.fake.calls("views.open") + bot.fake.calls("views.update"):
        assert GENERIC not in texts(call.param_json("view"))
    assert [r.getMessage() for r in errors.records] == []
