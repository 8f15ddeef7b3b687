"""Feedback on `/guide` answers over the real HTTP app against the fake Slack (SQLite and PostgreSQL)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from bot.config import ProjectConfig
from bot.slack.blocks.feedback_link import GUIDE_HELPFUL, GUIDE_NONE_OF_THESE
from bot.slack.blocks.section_link import GUIDE_SHOW_SECTION, parse_section_ref
from bot.store.db import session_scope
from bot.store.models.feedback import Precedent, UnansweredQuestion
from tests.bot.helpers import Bot, buttons
from tests.support.projectbot import fake, make_bot, publish_example_guidelines  # noqa: F401  (fixtures)

CHANNEL = "C111"  # the requests' default channel
ASKER = "U111"  # the requests' default user
P = ProjectConfig(name="p", guideline="mini", channels=(CHANNEL,), leads=("ULEAD1",))

_names = iter(range(10**9))


def guide(bot: Bot, text: str, *, user: str = ASKER, channel: str = CHANNEL) -> list[dict[str, Any]]:
    """`/guide TEXT`: the blocks of the ephemeral answer."""
    name = f"g{next(_names)}"
    status, _, _ = bot.slack.command(
        "/guide", text, user_id=user, channel_id=channel, response_url=bot.fake.response_url(name)
    )
    assert status == 200
    [call] = bot.fake.wait_for_response(name)
    assert call.params["response_type"] == "ephemeral"
    return call.params["blocks"]


def click(bot: Bot, action_id: str, value: str, *, user: str = ASKER) -> dict[str, Any]:
    """Click a button as `user`: the one answer posted to the response_url."""
    name = f"c{next(_names)}"
    status, _, _ = bot.slack.action(action_id, value, user_id=user, response_url=bot.fake.response_url(name))
    assert status == 200
    [call] = bot.fake.wait_for_response(name)
    assert call.params["response_type"] == "ephemeral" and call.params["replace_original"] is False
    return call.params


def click_again(bot: Bot, action_id: str, value: str, **kwargs: Any) -> dict[str, Any]:
    """The same click a second later: another request (not a replay of the first, which would be dropped)."""
    time.sleep(1.05)
    return click(bot, action_id, value, **kwargs)


def hits(blocks: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """The answer's sections in order."""
    return [parse_section_ref(v) for v in buttons(blocks, GUIDE_SHOW_SECTION)]


def helpful(blocks: list[dict[str, Any]]) -> list[str]:
    """The Helpful button values, one per section shown."""
    return buttons(blocks, GUIDE_HELPFUL)


def none_of_these(blocks: list[dict[str, Any]]) -> str:
    """The answer's one None of these button value."""
    [value] = buttons(blocks, GUIDE_NONE_OF_THESE)
    return value


def feedback_rows(bot: Bot) -> tuple[int, int]:
    """(unanswered questions, precedents) stored."""
    with session_scope(bot.engine) as s:
        count: Callable[[Any], int] = lambda m: s.scalar(select(func.count()).select_from(m)) or 0  # noqa: E731
        return count(UnansweredQuestion), count(Precedent)
