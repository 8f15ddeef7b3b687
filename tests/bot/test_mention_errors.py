"""An @annobot question whose answer is a user error is answered in its thread, as /guide explains it."""

from __future__ import annotations

import itertools

import pytest

from tests.bot.helpers import Bot, texts

_n = itertools.count(1)
WRONG = [
    ("sarcasm @9.9.9", "no guideline has a published version 9.9.9"),
    ("diff product-sentiment 1.0.0", "usage: /guide diff SLUG V1 V2"),
    ("diff no-such-guideline 1.0.0 1.1.0", "no-such-guideline"),
    ("diff product-sentiment 1.0.0 7.0.0", "7.0.0"),
]


@pytest.mark.parametrize(
    ("question", "said"), WRONG, ids=["unknown-version", "diff-usage", "diff-slug", "diff-v"]
)
def test_wrong_mention_is_answered_in_its_thread_like_guide(bot: Bot, question: str, said: str) -> None:
    bot.slack.command("/guide", question, response_url=bot.fake.response_url("g"))
    [ephemeral] = bot.fake.wait_for_response("g")
    explained = texts(ephemeral.params["blocks"])
    assert said in explained

    n = next(_n)
    ts = f"1700000100.{n:06d}"
    event = {
        "type": "app_mention",
        "user": "U111",
        "text": f"<@UBOT> {question}",
        "ts": ts,
        "channel": "C111",
    }
    assert bot.slack.event(event, f"EvWrong{n}")[0] == 200
    [post] = bot.fake.wait_for("chat.postMessage")
    assert post.params["channel"] == "C111" and post.params["thread_ts"] == ts
    assert texts(post.param_json("blocks")) == explained
    assert bot.fake.calls("chat.postEphemeral") == []


def test_wrong_mention_in_a_thread_answers_in_that_thread(bot: Bot) -> None:
    event = {
        "type": "app_mention",
        "user": "U111",
        "text": "<@UBOT> sarcasm @9.9.9",
        "ts": "1700000200.000200",
        "thread_ts": "1700000200.000100",
        "channel": "C111",
    }
    bot.slack.event(event, "EvWrongThread")
    [post] = bot.fake.wait_for("chat.postMessage")
    assert post.params["thread_ts"] == "1700000200.000100"
    assert "9.9.9" in texts(post.param_json("blocks"))


@pytest.mark.parametrize("question", ["tree", "tree product-sentiment/sarcasm", "TREE  x"])
def test_a_tree_walk_is_not_started_in_a_public_thread(bot: Bot, question: str) -> None:
    from bot.slack.mentions.listeners import TREE_IN_PUBLIC

    n = next(_n)
    ts = f"1700000300.{n:06d}"
    event = {
        "type": "app_mention",
        "user": "U111",
        "text": f"<@UBOT> {question}",
        "ts": ts,
        "channel": "C111",
    }
    assert bot.slack.event(event, f"EvTree{n}")[0] == 200
    [post] = bot.fake.wait_for("chat.postMessage")
    assert post.params["thread_ts"] == ts and post.params["text"] == TREE_IN_PUBLIC
    assert "blocks" not in post.params  # no walk, no buttons
