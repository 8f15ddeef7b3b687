"""The tests' import point for the fake Slack Web API, which lives in `bot.fakeslack`.

The fake moved into the package because `annobot console` runs it too; tests keep importing it
from here. See `bot.fakeslack` for what it serves, records and can fail.

Typical use::

    with FakeSlack() as fake:
        client = fake.client()
        client.chat_postMessage(channel="C1", text="hi")
        [call] = fake.wait_for("chat.postMessage")

As a pytest fixture: import ``fake_slack`` into a test module (or a conftest) and ask for it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import bot.fakeslack
from bot.fakeslack import *  # noqa: F403  (this module is the tests' name for the package)
from bot.fakeslack import FakeSlack

__all__ = [*bot.fakeslack.__all__, "fake_slack"]


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    """A started FakeSlack, stopped (its threads joined) after the test."""
    with FakeSlack() as fake:
        yield fake
