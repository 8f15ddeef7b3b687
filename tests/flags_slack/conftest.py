"""The bot over real HTTP against the fake Slack, with flag projects configured (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from bot.config import ProjectConfig
from bot.store.db import session_scope
from bot.store.flags import list_cases
from bot.store.models.flags import Flag
from tests.bot.helpers import Bot
from tests.support.fakeslack import FakeSlack
from tests.support.projectbot import fake, make_bot, publish_example_guidelines  # noqa: F401  (fixtures)

REVIEWS = ProjectConfig(name="reviews", guideline="product-sentiment", channels=("C111",))
CONTRACTS = ProjectConfig(name="contracts", guideline="contract-ner", channels=("C222",))


@pytest.fixture
def bot(make_bot: Callable[..., Bot]) -> Bot:
    """One project, `reviews` on product-sentiment, whose channel is C111 (the requests' channel)."""
    return make_bot(REVIEWS)


def flag_count(engine: Engine) -> int:
    """Flags stored."""
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(Flag)) or 0


def stored_flags(engine: Engine) -> list[Any]:
    """Every stored flag record, in filing order."""
    with session_scope(engine) as session:
        return [f for case in list_cases(session) for f in case.flags]


def opened_view(fake: FakeSlack, n: int = 1) -> dict[str, Any]:
    """The view of the n-th views.open call (waiting for it)."""
    calls = fake.wait_for("views.open", count=n)
    view = calls[n - 1].param_json("view")
    assert isinstance(view, dict)
    return view


def block(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    """The block with this id."""
    [found] = [b for b in view["blocks"] if b.get("block_id") == block_id]
    return found


def as_json(obj: Any) -> str:
    """Compact JSON (to search a payload for text)."""
    return json.dumps(obj, ensure_ascii=False)
