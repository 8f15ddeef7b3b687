"""NUL and other C0 controls in Slack text are dropped at the edge, alike on SQLite and PostgreSQL.

PostgreSQL refuses NUL in text: `/guide a\\x00b` was a traceback there when the lookup was recorded,
while SQLite stored the NUL. Tab and newline are text and stay.
"""

from __future__ import annotations

import logging

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.slack.blocks.section_link import GUIDE_SHOW_SECTION, section_ref
from bot.slack.request import drop_controls
from bot.store.db import session_scope
from bot.store.models.slack import Lookup
from tests.bot.helpers import Bot, texts

CONTROLS = "".join(chr(c) for c in range(32) if chr(c) not in "\t\n")


def _lookups(bot: Bot) -> list[tuple[str, str]]:
    with session_scope(bot.engine) as s:
        return [(r.user_id, r.query) for r in s.scalars(select(Lookup).order_by(Lookup.id))]


def _no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []


def test_controls_leave_a_command(bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    bot.slack.command(
        "/guide", "sar\x00c\x1basm\r", user_id="U1\x00", response_url=bot.fake.response_url("nul")
    )
    [reply] = bot.fake.wait_for_response("nul")
    assert "Sarcasm and irony" in texts(reply.params["blocks"])
    assert _lookups(bot) == [("U1", "sarcasm")]
    _no_traceback(caplog)


def test_tab_and_newline_stay(bot: Bot) -> None:
    bot.slack.command("/guide", "sarcasm\tirony\nnow", response_url=bot.fake.response_url("tab"))
    bot.fake.wait_for_response("tab")
    assert _lookups(bot) == [("U111", "sarcasm\tirony\nnow")]


def test_controls_leave_a_mention_and_its_event_id(bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    event = {
        "type": "app_mention",
        "user": "U111",
        "text": "<@UBOT> sar\x00casm\x07",
        "ts": "1.7",
        "channel": "C1",
    }
    assert bot.slack.event(event, "Ev\x00Nul")[0] == 200
    [post] = bot.fake.wait_for("chat.postMessage")
    assert "Sarcasm and irony" in texts(post.param_json("blocks"))
    assert _lookups(bot) == [("U111", "sarcasm")]
    _no_traceback(caplog)


def test_controls_leave_a_button_value(bot: Bot) -> None:
    value = "\x00" + section_ref("product-sentiment", "1.1.0", "sarcasm") + "\x1f"
    bot.slack.action(GUIDE_SHOW_SECTION, value, response_url=bot.fake.response_url("btn"))
    [reply] = bot.fake.wait_for_response("btn")
    assert "Sarcasm and irony" in texts(reply.params["blocks"])


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from([*CONTROLS, "\t", "\n", "a", "é", "\x7f"]), max_size=30))
def test_drop_controls_keeps_everything_else(text: str) -> None:
    cleaned = drop_controls(text)
    assert not any(c in CONTROLS for c in cleaned)
    assert cleaned == "".join(c for c in text if c not in CONTROLS)
    assert drop_controls({"k\x00": [text, 1, None]}) == {"k": [cleaned, 1, None]}
