"""What the store knows of an item fills the modal: its text, its labels, the conflicting labels.

The item store (`bot/store/items.py`, issue 12 item 2) is being built in parallel; until it lands the
flag jobs read items through one function, `bot.jobs.flags._shown_items`, which these tests stand in for
(the app runs its jobs inline, in this process).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from bot.slack.flags.builder import B_ANNOTATOR, B_GOLD, B_ITEM, B_MY_LABEL, B_PROJECT, ShownItem, ShownLabel
from bot.slack.flags.listeners import SHORTCUT
from tests.bot.helpers import Bot, texts
from tests.flags_slack.conftest import CONTRACTS, REVIEWS, block, opened_view
from tests.support.blockkit import assert_no_injection
from tests.support.slackreq import USER_ID

KNOWN = {
    ("reviews", "rev-42"): ShownItem(
        text="Great phone <!channel>, battery & screen",
        url="https://ls.test/projects/3/data?task=42",
        labels=(
            ShownLabel("annotator", "Negative", USER_ID),
            ShownLabel("annotator", "Positive", "ann-2"),
            ShownLabel("annotator", "Negative", "ann-3"),
            ShownLabel("gold", "Mixed"),
        ),
    ),
    ("reviews", "981"): ShownItem(text="task from Label Studio", url=None, labels=()),
    ("contracts", "c-7"): ShownItem(text="a contract", url=None, labels=(ShownLabel("gold", "PARTY"),)),
}


@pytest.fixture(autouse=True)
def items(monkeypatch: pytest.MonkeyPatch) -> None:
    def shown(session: Any, project: str, ids: Sequence[str]) -> dict[str, ShownItem]:
        return {i: KNOWN[(project, i)] for i in ids if (project, i) in KNOWN}

    monkeypatch.setattr("bot.jobs.flags._shown_items", shown)


def _message(text: str) -> dict[str, Any]:
    return {"type": "message", "user": "U222", "ts": "1700000000.000900", "text": text}


def test_a_known_item_shows_its_text_and_prefills_the_conflict(bot: Bot) -> None:
    bot.slack.command("/flag", "rev-42")
    view = opened_view(bot.fake)
    shown = texts(view["blocks"])
    assert "Great phone &lt;!channel&gt;, battery &amp; screen" in shown
    assert "ann-2: *Positive*" in shown and "gold: *Mixed*" in shown
    assert_no_injection(view["blocks"])
    assert block(view, B_MY_LABEL)["element"]["initial_option"]["value"] == "Negative"
    others = [o["value"] for o in block(view, B_ANNOTATOR)["element"]["initial_options"]]
    assert others == ["Positive"]  # the filer's own label is not "another" label
    assert block(view, B_GOLD)["element"]["initial_option"]["value"] == "Mixed"


def test_a_message_naming_a_known_item_prefills_it(bot: Bot) -> None:
    bot.slack.shortcut(SHORTCUT, message=_message("what about rev-42? I said Negative"))
    assert block(opened_view(bot.fake), B_ITEM)["element"]["initial_value"] == "rev-42"


def test_a_label_studio_task_link_names_its_task(bot: Bot) -> None:
    text = "odd one: <https://ls.test/projects/3/data?task=981|this task>"
    bot.slack.shortcut(SHORTCUT, message=_message(text))
    assert block(opened_view(bot.fake), B_ITEM)["element"]["initial_value"] == "981"


def test_unknown_words_name_no_item(bot: Bot) -> None:
    bot.slack.shortcut(SHORTCUT, message=_message("is this negative or mixed?"))
    assert "initial_value" not in block(opened_view(bot.fake), B_ITEM)["element"]


def test_the_project_that_knows_the_item_is_chosen(make_bot: Any) -> None:
    bot = make_bot(REVIEWS, CONTRACTS)
    bot.slack.shortcut(SHORTCUT, message=_message("c-7 looks wrong"), channel_id="C999")
    view = opened_view(bot.fake)
    assert block(view, B_ITEM)["element"]["initial_value"] == "c-7"
    assert block(view, B_PROJECT)["element"]["initial_option"]["value"] == "contracts"
    assert block(view, B_GOLD)["element"]["initial_option"]["value"] == "PARTY"
