"""Forged, unknown and foreign feedback buttons write nothing and say why; mentions get the buttons too."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from bot.config import ProjectConfig
from bot.slack.blocks.feedback_link import GUIDE_HELPFUL, GUIDE_NONE_OF_THESE
from tests.bot.helpers import Bot, buttons, publish_folder, texts
from tests.conftest import row_counts
from tests.feedback.conftest import click, click_again, feedback_rows, guide, helpful, hits, none_of_these
from tests.support.guidelines import MINI_RULES, mini


def _counts(bot: Bot) -> dict[str, int]:
    """Rows per table but the replay keys, which every signed request writes."""
    return {t: n for t, n in row_counts(bot.engine).items() if t != "slack_requests"}


def _explained(answer: dict[str, Any]) -> str:
    shown = texts(answer)
    assert ":warning:" in shown and "went wrong" not in shown, shown
    return shown


@pytest.mark.parametrize(
    ("action", "value"),
    [
        (GUIDE_NONE_OF_THESE, "999999"),  # no such lookup
        (GUIDE_HELPFUL, "999999:0"),
        (GUIDE_NONE_OF_THESE, "abc"),
        (GUIDE_NONE_OF_THESE, ""),
        (GUIDE_HELPFUL, "1"),  # a None of these value on Helpful
        (GUIDE_NONE_OF_THESE, "1:0"),  # and the other way round
        (GUIDE_HELPFUL, '{"g":"product-sentiment","v":"1.1.0","a":"sarcasm"}'),  # a section, not a lookup
        (GUIDE_NONE_OF_THESE, "0"),
        (GUIDE_NONE_OF_THESE, "-1"),
        (GUIDE_HELPFUL, "1:999"),
        (GUIDE_HELPFUL, "2147483648:0"),  # past INTEGER: PostgreSQL would refuse the read
    ],
)
def test_forged_and_unknown_values_write_nothing_and_are_explained(
    make_bot: Any, action: str, value: str
) -> None:
    bot = make_bot()
    guide(bot, "sarcasm")  # lookup 1 exists, asked by U111 (on PostgreSQL ids restart per test)
    before = _counts(bot)
    _explained(click(bot, action, value))
    assert _counts(bot) == before


def test_another_users_click_writes_nothing_and_is_explained(make_bot: Any) -> None:
    bot = make_bot()
    blocks = guide(bot, "sarcasm")
    before = _counts(bot)
    for action, value in ((GUIDE_NONE_OF_THESE, none_of_these(blocks)), (GUIDE_HELPFUL, helpful(blocks)[0])):
        assert "asker only" in _explained(click(bot, action, value, user="U222"))
    assert _counts(bot) == before


def test_helpful_twice_records_one_precedent(make_bot: Any) -> None:
    bot = make_bot()
    blocks = guide(bot, "sarcasm")
    assert "will come first" in texts(click(bot, GUIDE_HELPFUL, helpful(blocks)[0]))
    assert "Already recorded" in texts(click_again(bot, GUIDE_HELPFUL, helpful(blocks)[1]))
    assert feedback_rows(bot) == (0, 1)


def test_a_mention_answer_has_the_buttons_for_the_asker(make_bot: Any) -> None:
    bot = make_bot()
    mention = {
        "type": "app_mention",
        "user": "U111",
        "text": "<@UBOT> how do I label sarcasm?",
        "ts": "1700000001.000100",
        "channel": "C555",
        "event_ts": "1700000001.000100",
    }
    assert bot.slack.event(mention, "EvFeedback1")[0] == 200
    [post] = bot.fake.wait_for("chat.postMessage")
    blocks = post.param_json("blocks")
    [value] = buttons(blocks, GUIDE_NONE_OF_THESE)
    assert len(buttons(blocks, GUIDE_HELPFUL)) == len(hits(blocks)) > 0
    assert "asker only" in _explained(click(bot, GUIDE_NONE_OF_THESE, value, user="U222"))
    assert "Thanks" in texts(click(bot, GUIDE_NONE_OF_THESE, value))
    assert feedback_rows(bot) == (1, 0)


def test_no_match_offers_none_of_these(make_bot: Any) -> None:
    bot = make_bot()
    blocks = guide(bot, "zqxjv")
    assert hits(blocks) == [] or "Nothing in the guidelines matched" in texts(blocks)
    assert "Thanks" in texts(click(bot, GUIDE_NONE_OF_THESE, none_of_these(blocks)))
    assert feedback_rows(bot) == (1, 0)


def test_the_precedent_follows_the_section_into_later_versions_and_is_dropped_when_it_is_gone(
    make_bot: Any, tmp_path: Path
) -> None:
    bot = make_bot()  # the examples, then mini below
    publish_folder(bot.engine, mini(tmp_path, "1.0.0"))
    question = "mini emoji sarcastic"
    blocks = guide(bot, question)
    index = hits(blocks).index(("mini", "1.0.0", "emoji"))
    click(bot, GUIDE_HELPFUL, helpful(blocks)[index])
    assert hits(guide(bot, question))[0] == ("mini", "1.0.0", "emoji")

    # 1.1.0 gives the section an explicit anchor: the title is followed.
    moved = MINI_RULES.replace("## Emoji", "## Emoji {#emoji-only}")
    publish_folder(bot.engine, mini(tmp_path, "1.1.0", rules=moved))
    assert hits(guide(bot, question))[0] == ("mini", "1.1.0", "emoji-only")
    # Pinned to the old version, the old section.
    assert hits(guide(bot, question + " @1.0.0"))[0] == ("mini", "1.0.0", "emoji")

    # 1.2.0 has no such section: the precedent is ignored, the search answers as it would.
    gone = re.sub(r"## Emoji\n\n.*\n", "", MINI_RULES)
    publish_folder(bot.engine, mini(tmp_path, "1.2.0", rules=gone))
    answer = hits(guide(bot, question))
    assert answer and all(anchor not in ("emoji", "emoji-only") for _, _, anchor in answer if _ == "mini")


def test_help_explains_the_buttons(make_bot: Any) -> None:
    shown = texts(guide(make_bot(), "help"))
    assert "*Helpful*" in shown and "*None of these*" in shown and "guideline's owners" in shown


def test_in_a_projects_channel_only_its_guidelines_precedents_rank_first(make_bot: Any) -> None:
    bot = make_bot(ProjectConfig(name="ner", guideline="contract-ner", channels=("C777",)))
    blocks = guide(bot, "example")  # in C111: no project, no guideline assumed
    index, other = next((i, h[0]) for i, h in enumerate(hits(blocks)) if h[0] != "contract-ner")
    click(bot, GUIDE_HELPFUL, helpful(blocks)[index])
    assert hits(guide(bot, "example"))[0][0] == other
    # In the contract-ner project's channel, the other guideline's precedent does not jump its guideline.
    assert hits(guide(bot, "example", channel="C777"))[0][0] == "contract-ner"
