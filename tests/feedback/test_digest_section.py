"""The digest's `questions` section in every renderer: escaped, bounded, n/a with a reason (pure)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.jobs.digest import render
from bot.slack.blocks import kit
from bot.slack.digest.builder import MAX_QUESTIONS, digest_message
from reports.digest import Section, SectionResult, TaskSpec, build_digest
from reports.digest.questions import EXAMPLE_MAX, MAX_EXAMPLES, Question, questions_json
from reports.digest.synthetic import synthetic
from tests.bot.helpers import texts

EVIL = "<script>alert(1)</script> *bold* <!channel> | `code` & co"
NOW = datetime(2026, 10, 31, 12, tzinfo=UTC)


def _digest(rows: list[Question]) -> dict[str, Any]:
    df, gold = synthetic(n_items=60, days=5)
    value = questions_json("species-guide", rows)
    section = Section("questions", "Questions the guideline did not answer", lambda _: SectionResult(value))
    spec = TaskSpec(labels=("cat", "dog", "bird", "fish", "other"))
    return build_digest(df, gold, {"species": spec}, None, sections=[section], n_boot=0).to_json()


def _rows(n: int, text: str = EVIL) -> list[Question]:
    return [Question(f"{text} {i}", "1.0.0", "C1", n - i, NOW) for i in range(n)]


def test_questions_are_escaped_in_slack_html_and_markdown() -> None:
    d = _digest(_rows(2))
    assert d["questions"]["unanswered"] == 3 and d["questions"]["questions"] == 2
    assert d["questions"]["examples"][0]["question"] == f"{EVIL} 0"  # raw in JSON
    shown = texts(digest_message(d)["blocks"])
    assert "&lt;script&gt;" in shown and "<!channel>" not in shown and "<script>" not in shown
    html = render(d, "html", generated=NOW)
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    markdown = render(d, "markdown", generated=NOW)
    assert "Questions the guideline did not answer" in markdown
    # A table cell: the pipe is escaped as in every other cell of the report (reports.formatters.md_cell).
    assert "<!channel> \\| `code` & co 0 |" in markdown


def test_many_long_questions_stay_within_limits() -> None:
    d = _digest(_rows(40, "why " * 400))
    q = d["questions"]
    assert len(q["examples"]) == MAX_EXAMPLES and all(
        len(e["question"]) <= EXAMPLE_MAX for e in q["examples"]
    )
    message = digest_message(d)
    assert kit.message_size(message["blocks"]) <= kit.MESSAGE_CHARS_MAX
    shown = texts(message["blocks"])
    assert shown.count("• why") == MAX_QUESTIONS and "37 more" in shown


def test_no_questions_says_nothing_in_slack_and_zero_in_the_report() -> None:
    d = _digest([])
    assert d["questions"] == {"guideline": "species-guide", "unanswered": 0, "questions": 0, "examples": []}
    assert "did not answer" not in texts(digest_message(d)["blocks"])
    assert "0 time(s)" in render(d, "markdown", generated=NOW)


def test_without_the_store_the_section_is_na_with_a_reason() -> None:
    df, gold = synthetic(n_items=30, days=3)
    d = build_digest(
        df, gold, {"species": TaskSpec(labels=("cat", "dog", "bird", "fish", "other"))}, None, n_boot=0
    )
    j = d.to_json()
    assert j["questions"] is None and "guide" in j["section_reasons"]["questions"]
    assert "n/a" in render(j, "html", generated=NOW)
