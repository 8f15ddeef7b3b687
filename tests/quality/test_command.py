"""`/quality` and Post to channel over the real HTTP app against the fake Slack (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.slack.digest.builder import digest_message
from bot.slack.quality.builder import QUALITY_POST, parse_post_value
from tests.bot.helpers import buttons, texts
from tests.quality.conftest import ANNOTATOR, CHANNEL, LEAD, OTHER, P, ask, audit_rows
from tests.schedules.delivery_support import seed
from tests.support.guidelines import run_cli

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _dateless(value: object) -> str:
    # The CLI's window ends a moment after the command's: only the dates may differ (around midnight).
    return _DATE.sub("DATE", json.dumps(value, sort_keys=True))


def _blocks(pages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [b for page in pages for b in page["blocks"]]


def test_quality_answers_the_figures_of_the_cli_json(db_url: str, make_bot: Any, seeded: datetime) -> None:
    bot = make_bot(P)
    pages = ask(bot, "p 7d")
    assert all(page["response_type"] == "ephemeral" for page in pages)
    result = run_cli(db_url, "digest", "--project", "p", "--window", "7d", "--format", "json")
    assert result.exit_code == 0, result.output
    cli = json.loads(result.output)
    assert cli["counts"]["annotations"] == 120
    expected = digest_message(cli)
    blocks = _blocks(pages)
    # The digest's blocks, then the one Post to channel button.
    assert _dateless(blocks[:-1]) == _dateless(expected["blocks"])
    assert len(buttons(blocks, QUALITY_POST)) == 1
    assert _dateless(pages[0]["text"]) == _dateless(expected["text"])
    alpha = cli["headline"]["alpha"]
    assert alpha is not None and f"{alpha:.3f}" in texts(blocks)
    assert "120 annotations" in texts(blocks)


def test_project_defaults_to_the_only_one_and_window_to_7d(make_bot: Any, seeded: datetime) -> None:
    bot = make_bot(P)
    default, explicit = _blocks(ask(bot, "", name="a")), _blocks(ask(bot, "p 7d", name="b"))
    assert _dateless(default[:-1]) == _dateless(explicit[:-1])
    project, start, end = parse_post_value(buttons(default, QUALITY_POST)[0])
    assert (project, end - start) == ("p", timedelta(days=7))


def test_post_to_channel_by_a_lead_posts_once(make_bot: Any, seeded: datetime) -> None:
    bot = make_bot(P)
    pages = ask(bot, "p 24h", user=LEAD)
    [value] = buttons(_blocks(pages), QUALITY_POST)
    status, _, _ = bot.slack.action(
        QUALITY_POST, value, user_id=LEAD, channel_id=CHANNEL, response_url=bot.fake.response_url("click")
    )
    assert status == 200
    assert bot.fake.wait_for_response("click")
    time.sleep(0.2)
    [post] = bot.fake.calls("chat.postMessage")
    assert post.params["channel"] == CHANNEL
    assert post.param_json("blocks") == _blocks(pages)[:-1]  # the same digest, without the button
    assert "Posted the digest" in texts(bot.fake.responses("click")[0].params)
    assert [(r.action, r.project, r.allowed) for r in audit_rows(bot.engine, LEAD)] == [
        ("digest.post", "p", True)
    ]


def test_post_to_channel_by_an_annotator_posts_nothing_and_is_audited(
    make_bot: Any, seeded: datetime
) -> None:
    bot = make_bot(P)
    [value] = buttons(_blocks(ask(bot, "p")), QUALITY_POST)
    url = bot.fake.response_url("deny")
    status, _, _ = bot.slack.action(
        QUALITY_POST, value, user_id=ANNOTATOR, channel_id=CHANNEL, response_url=url
    )
    assert status == 200
    [answer] = [c.params for c in bot.fake.wait_for_response("deny")]
    assert answer["response_type"] == "ephemeral"
    assert "Only a lead or a manager of project p may post digests to a channel" in texts(answer)
    time.sleep(0.2)
    assert bot.fake.calls("chat.postMessage") == []
    [row] = audit_rows(bot.engine, ANNOTATOR)
    assert (row.action, row.project, row.allowed, row.role_needed) == ("digest.post", "p", False, "lead")


def test_a_forged_button_value_is_explained(make_bot: Any, seeded: datetime) -> None:
    bot = make_bot(P)
    for i, value in enumerate(
        ['{"p":"nope","s":"2026-01-01T00:00:00+00:00","e":"2026-01-02T00:00:00+00:00"}', "x"]
    ):
        url = bot.fake.response_url(f"f{i}")
        bot.slack.action(QUALITY_POST, value, user_id=LEAD, channel_id=CHANNEL, response_url=url)
        [answer] = [c.params for c in bot.fake.wait_for_response(f"f{i}")]
        assert ":warning:" in texts(answer) and "went wrong" not in texts(answer)
    assert bot.fake.calls("chat.postMessage") == []


def test_unknown_and_ambiguous_projects_are_explained(make_bot: Any, seeded: datetime) -> None:
    bot = make_bot(P, OTHER)
    unknown = texts(ask(bot, "nope 7d", name="u"))
    assert "unknown project 'nope'" in unknown and "p, other" in unknown
    ambiguous = texts(ask(bot, "", name="a"))
    assert "name the project" in ambiguous and "p, other" in ambiguous


def test_an_empty_window_says_no_annotations_since(make_bot: Any, db_url: str, tmp_path: Path) -> None:
    seed(db_url, tmp_path, datetime.now(UTC) - timedelta(days=30))
    bot = make_bot(P)
    for i, text in enumerate(
        ["p 24h", "p 7d", "p since " + (datetime.now(UTC) - timedelta(days=3)).date().isoformat()]
    ):
        pages = ask(bot, text, name=f"e{i}")
        assert "no annotations since" in texts(pages) and buttons(_blocks(pages), QUALITY_POST) == []


def test_help_lists_usage(make_bot: Any) -> None:
    bot = make_bot(P)
    assert "/quality [PROJECT] [7d|24h|since YYYY-MM-DD]" in texts(ask(bot, "help"))


def test_a_refused_post_is_explained(make_bot: Any, seeded: datetime) -> None:
    bot = make_bot(P)
    [value] = buttons(_blocks(ask(bot, "p", user=LEAD)), QUALITY_POST)
    bot.fake.fail_next("chat.postMessage", 200, error="not_in_channel")
    url = bot.fake.response_url("refused")
    bot.slack.action(QUALITY_POST, value, user_id=LEAD, channel_id=CHANNEL, response_url=url)
    [answer] = [c.params for c in bot.fake.wait_for_response("refused")]
    assert "not_in_channel" in texts(answer) and "invite the bot" in texts(answer)
    # Refused, the claim is released: once the bot is invited, the same button posts.
    url = bot.fake.response_url("again")
    bot.slack.action(QUALITY_POST, value, user_id=LEAD, channel_id=CHANNEL, response_url=url)
    assert "Posted the digest" in texts(bot.fake.wait_for_response("again")[0].params)
    assert len([c for c in bot.fake.calls("chat.postMessage") if c.ok]) == 1


def test_post_to_channel_clicked_again_or_by_two_leads_at_once_posts_once(
    make_bot: Any, seeded: datetime
) -> None:
    bot = make_bot(P)
    [value] = buttons(_blocks(ask(bot, "p 24h", user=LEAD)), QUALITY_POST)

    def click(name: str) -> str:
        url = bot.fake.response_url(name)
        status, _, _ = bot.slack.action(
            QUALITY_POST, value, user_id=LEAD, channel_id=CHANNEL, response_url=url
        )
        assert status == 200
        return texts(bot.fake.wait_for_response(name)[0].params)

    with ThreadPoolExecutor(3) as pool:
        answers = list(pool.map(click, ["c1", "c2", "c3"]))
    assert sum("Posted the digest" in a for a in answers) == 1, answers
    assert all("Nothing posted again" in a for a in answers if "Posted the digest" not in a)
    assert len([c for c in bot.fake.calls("chat.postMessage") if c.ok]) == 1
    later = click("c4")
    assert "in <#" in later and "already" in later and f"<@{LEAD}> posted it" in later
    assert len([c for c in bot.fake.calls("chat.postMessage") if c.ok]) == 1
    # Another window (a new /quality) is another digest: it may be posted.
    time.sleep(1.1)
    [other] = buttons(_blocks(ask(bot, "p 24h", user=LEAD, name="second")), QUALITY_POST)
    assert other != value
