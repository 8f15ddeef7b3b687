"""Issue 15 item 7, its Done-when line, over the real HTTP app against the fake Slack (both backends):
"None of these" records one unanswered question (twice clicked: one), `annobot lookups unanswered` lists it
and the digest's `questions` section shows it; a confirmed answer ranks first the next time the same
question is asked."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.slack.blocks.feedback_link import GUIDE_HELPFUL, GUIDE_NONE_OF_THESE
from bot.slack.digest.builder import digest_message
from tests.bot.helpers import texts
from tests.feedback.conftest import (
    CHANNEL,
    P,
    click,
    click_again,
    feedback_rows,
    guide,
    helpful,
    hits,
    none_of_these,
)
from tests.schedules.delivery_support import seed
from tests.support.guidelines import run_cli

QUESTION = "Is a review written only in emoji neutral?"


def test_none_of_these_twice_records_one_question_listed_by_the_cli_and_the_digest(
    db_url: str, make_bot: Any, tmp_path: Path
) -> None:
    seed(db_url, tmp_path, datetime.now(UTC) - timedelta(hours=20))
    bot = make_bot(P)
    blocks = guide(bot, QUESTION)
    value = none_of_these(blocks)

    first = click(bot, GUIDE_NONE_OF_THESE, value)
    assert "Thanks — recorded for the guideline's owners" in texts(first)
    second = click_again(bot, GUIDE_NONE_OF_THESE, value)
    assert "Already recorded" in texts(second)
    assert feedback_rows(bot) == (1, 0)

    listed = run_cli(db_url, "lookups", "unanswered")
    assert listed.exit_code == 0, listed.output
    header, line = listed.output.strip().split("\n")
    assert header.split("\t") == ["last asked (UTC)", "times", "guideline", "version", "channel", "question"]
    assert line.split("\t")[1:] == ["1", "mini", "1.0.0", CHANNEL, QUESTION]
    as_json = run_cli(db_url, "lookups", "unanswered", "--guideline", "mini", "--json")
    [row] = json.loads(as_json.output)
    assert (row["question"], row["guideline"], row["version"], row["channel"], row["times"]) == (
        QUESTION,
        "mini",
        "1.0.0",
        CHANNEL,
        1,
    )
    assert json.loads(run_cli(db_url, "lookups", "unanswered", "--guideline", "other", "--json").output) == []

    result = run_cli(db_url, "digest", "--project", "p", "--window", "7d", "--format", "json")
    assert result.exit_code == 0, result.output
    digest = json.loads(result.output)
    q = digest["questions"]
    assert (q["guideline"], q["unanswered"], q["questions"]) == ("mini", 1, 1)
    assert [(e["question"], e["version"], e["channel"], e["times"]) for e in q["examples"]] == [
        (QUESTION, "1.0.0", CHANNEL, 1)
    ]
    assert "questions" not in digest["section_reasons"]
    assert digest["section_titles"]["questions"] == "Questions the guideline did not answer"
    # The Slack message and the reports show it too.
    assert QUESTION in texts(digest_message(digest)["blocks"])
    for fmt in ("markdown", "html"):
        report = run_cli(db_url, "digest", "--project", "p", "--window", "7d", "--format", fmt)
        assert report.exit_code == 0 and "Questions the guideline did not answer" in report.output
        assert "emoji neutral" in report.output


def test_a_confirmed_answer_ranks_first_the_next_time_the_same_question_is_asked(make_bot: Any) -> None:
    bot = make_bot()
    question = "sarcasm"
    blocks = guide(bot, question)
    shown = hits(blocks)
    assert len(shown) >= 2 and len(helpful(blocks)) == len(shown)
    chosen = shown[1]  # not the first: the confirmation must change the order

    thanks = click(bot, GUIDE_HELPFUL, helpful(blocks)[1])
    assert "will come first" in texts(thanks)
    assert feedback_rows(bot) == (0, 1)

    assert hits(guide(bot, question))[0] == chosen
    # Near-identical: case, punctuation and whitespace do not count.
    assert hits(guide(bot, "  SARCASM?! "))[0] == chosen
    # Another question keeps the search's order.
    assert hits(guide(bot, "sarcasm emoji"))[0] != chosen or shown[0] == chosen
