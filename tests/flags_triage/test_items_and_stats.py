"""The queue and the adjudication modal show the item as imported (escaped, cut with a marker); `/flag
stats` answers through the router (real HTTP app, fake Slack, SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

from bot.slack.blocks.flag_case import CASE_ADJUDICATE
from tests.bot.helpers import Bot, texts
from tests.digest_e2e.values_support import ok, write_csv
from tests.flags_slack.conftest import opened_view
from tests.flags_triage.conftest import FLAGGER, LEAD, click, file, queue
from tests.support.blockkit import assert_no_injection

TEXT = "Great phone <!channel>, battery & screen " + "long " * 400


def _import(db_url: str, tmp_path: Path) -> None:
    ok(db_url, "projects", "add", "reviews", "--guideline", "product-sentiment")
    header = ["item_id", "annotator", "label", "created_at", "text", "url"]
    rows = [
        ["rev-42", "ann-2", "Positive", "2026-11-02T09:00:00+00:00", TEXT, "https://ls.test/tasks/42?a=1&b=2"]
    ]
    ok(
        db_url,
        "import",
        "annotations",
        str(write_csv(tmp_path / "a.csv", header, rows)),
        "--project",
        "reviews",
    )


def test_the_item_text_is_shown_escaped_and_cut(bot: Bot, db_url: str, tmp_path: Path) -> None:
    _import(db_url, tmp_path)
    case_id = file(bot.engine, "rev-42")
    [page] = queue(bot)
    shown = texts(page)
    assert "Great phone &lt;!channel&gt;, battery &amp; screen" in shown
    assert "more characters)" in shown and "<https://ls.test/tasks/42?a=1&amp;b=2>" in shown
    assert_no_injection(page["blocks"], ("<@U111>",))
    click(bot, CASE_ADJUDICATE, str(case_id))
    view = opened_view(bot.fake)
    assert "Great phone &lt;!channel&gt;" in texts(view["blocks"])


def test_flag_stats_answers_through_the_router(bot: Bot, db_url: str) -> None:
    ok(db_url, "projects", "add", "reviews", "--guideline", "product-sentiment")
    file(bot.engine, "rev-1")
    file(bot.engine, "rev-2", by="U222")
    for user, name in ((FLAGGER, "s1"), (LEAD, "s2")):
        bot.slack.command("/flag", "stats reviews", user_id=user, response_url=bot.fake.response_url(name))
        [answer] = bot.fake.wait_for_response(name)[:1]
        shown = texts(answer.params)
        assert "coming soon" not in shown and "sarcasm" in shown, shown
    bot.slack.command("/flag", "stats nope", response_url=bot.fake.response_url("s3"))
    assert "unknown project" in texts(bot.fake.wait_for_response("s3")[0].params)
    bot.slack.command("/flag", "stats", response_url=bot.fake.response_url("s4"))
    assert "all projects" in texts(bot.fake.wait_for_response("s4")[0].params).lower()


def test_help_documents_the_queue_and_stats(bot: Bot) -> None:
    bot.slack.command("/flag", "help", response_url=bot.fake.response_url("h"))
    shown = texts(bot.fake.wait_for_response("h")[0].params)
    assert "`/flag queue`" in shown and "`assignee:@U|me|none`" in shown and "`page:N`" in shown
    assert "`/flag stats`" in shown and "coming soon" not in shown
