"""The triage builders and the queue's filter syntax, pure: Block Kit limits by construction, escaping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from slack_sdk.models.views import View

from bot.slack.blocks import kit
from bot.slack.blocks.flag_case import CASE_ADJUDICATE, case_buttons, parse_case_value
from bot.slack.flag_queue.builder import (
    MAX_MESSAGES,
    PER_PAGE,
    AdjudicationForm,
    QueuePage,
    ShownItem,
    adjudication_modal,
    comment_modal,
    decided_blocks,
    label_select,
    outcome_dm_blocks,
    queue_blocks,
    thread_reply_blocks,
)
from bot.slack.flag_queue.form import case_ref, decision_draft
from bot.store.flags import CaseRecord, DecisionRecord, EventRecord, FlagRecord
from reports.flags.input import OtherLabel
from reports.flags.queue import UNASSIGNED, QueueFilter, QueueSyntaxError, page_slice, parse_queue_text
from tests.bot.helpers import buttons, texts
from tests.support.blockkit import assert_no_injection, validate_blocks, validate_message

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
EVIL = "<!channel> <@U123> &lt; & <https://x|y> ``` *bold*"
MENTIONS = ("<@U111>", "<@ULEAD1>")


def _flag(n: int, text: str = EVIL, **changes: Any) -> FlagRecord:
    fields: dict[str, Any] = dict(
        id=n,
        case_id=1,
        project="reviews",
        item_id="rev-1",
        filed_by="U111",
        filed_at=NOW - timedelta(days=3),
        my_label=text[:1000],
        other_labels=(
            *(OtherLabel(text[:1000], "annotator") for _ in range(19)),
            OtherLabel("Positive", "gold"),
        ),
        reason="label_confusion",
        guideline="product-sentiment",
        version="1.1.0",
        anchor="sarcasm`x" * 20,
        comment=text,
        permalink="https://acme.slack.com/archives/C1/p1",
        channel="C1",
        thread_ts="1.2",
    )
    fields.update(changes)
    return FlagRecord(**fields)


def _case(case_id: int = 1, flags: int = 2, text: str = EVIL, item: str = "rev-1") -> CaseRecord:
    events = (EventRecord(1, case_id, "comment", "ULEAD1", NOW, text, None),)
    return CaseRecord(
        id=case_id,
        project="reviews",
        item_id=item,
        status="open",
        assignee=None,
        opened_at=NOW - timedelta(days=2),
        resolved_at=None,
        flags=tuple(_flag(n, text, case_id=case_id, item_id=item) for n in range(flags)),
        events=events,
        decision=None,
    )


def _decision(text: str = EVIL) -> DecisionRecord:
    return DecisionRecord(
        1, "reviews", "rev-1", "default", text[:200], text, "guideline_must_change",
        "product-sentiment#sarcasm", True, "ULEAD1", NOW,
    )  # fmt: skip


def _page(cases: list[CaseRecord], total: int | None = None, page: int = 1, filters: str = "") -> QueuePage:
    items = {
        ("reviews", c.item_id): ShownItem(EVIL * 500, "https://ls.example/tasks/1?a=1&b=2") for c in cases
    }
    return QueuePage(
        cases=tuple(cases),
        items=items,
        reasons={("reviews", "label_confusion"): "Label <confusion>"},
        total=len(cases) if total is None else total,
        page=page,
        filters=filters,
        projects=("reviews",),
        user_id="ULEAD1",
        now=NOW,
    )


def test_a_full_page_of_huge_cases_splits_into_valid_messages_without_cutting() -> None:
    cases = [_case(n, flags=30, text=EVIL * 40, item=f"rev-{n}" + "`" * 150) for n in range(1, PER_PAGE + 1)]
    blocks = queue_blocks(_page(cases, total=57, filters="reason:<!here>"))
    pages = kit.paginate(blocks)
    assert 1 < len(pages) <= MAX_MESSAGES  # a response_url takes five messages
    for page in pages:
        validate_message(page)
        assert_no_injection(page, MENTIONS)
    shown = texts(blocks)
    assert "47 more: `/flag queue reason:&lt;!here&gt; page:2`" in shown
    assert "… and 27 more" in shown and "more characters)" in shown
    assert buttons(blocks, CASE_ADJUDICATE) == [str(n) for n in range(1, PER_PAGE + 1)]


def test_an_empty_queue_and_a_page_past_the_end() -> None:
    assert "No open case matches" in texts(queue_blocks(_page([])))
    assert "past the end" in texts(queue_blocks(_page([], total=3, page=2)))


def _validate_view(view: dict[str, Any]) -> None:
    View(**view).to_dict()
    assert 0 < len(view["blocks"]) <= kit.MAX_BLOCKS_PER_VIEW
    validate_blocks(view["blocks"])
    assert_no_injection(view["blocks"], MENTIONS)


def test_the_modals_hold_within_limits_and_read_back() -> None:
    labels = tuple(f"label {n}" for n in range(150))
    case = _case(flags=40, text=EVIL * 60)
    view = adjudication_modal(AdjudicationForm(case, labels, ShownItem(EVIL * 900, None), "C1", {}))
    _validate_view(view)
    assert label_select(labels)["type"] == "external_select"
    assert label_select(labels[:100])["type"] == "static_select"
    ref = case_ref(view)
    assert (ref.case_id, ref.project, ref.reply_channel) == (1, "reviews", "C1")
    _validate_view(comment_modal(case, None, {}, ""))
    assert (
        decision_draft({"state": {"values": {"flagq_add_to_gold": {"flagq_add_to_gold": []}}}}).add_to_gold
        is False
    )
    for odd in (None, "", "{", '{"case": true}', '{"case": 0}', '{"case": 1e3}', "[1]", '{"case": "7"}'):
        assert case_ref({"private_metadata": odd}).case_id is None


def test_outcome_messages_escape_every_text() -> None:
    case, decision = _case(text=EVIL * 30), _decision(EVIL * 30)
    for blocks in (
        outcome_dm_blocks(case, decision, case.flags[0]),
        thread_reply_blocks(case, decision),
        decided_blocks(case, decision, 2),
    ):
        for page in kit.paginate(blocks):
            validate_message(page)
            assert_no_injection(page, MENTIONS)
        assert "&lt;!channel&gt;" in texts(blocks)


@settings(max_examples=60, deadline=None)
@given(text=st.text(max_size=3000), item=st.text(min_size=1, max_size=200))
def test_any_text_in_a_case_is_escaped_and_within_limits(text: str, item: str) -> None:
    case = _case(flags=3, text=text or "x", item=item)
    for page in kit.paginate(queue_blocks(_page([case]))):
        validate_message(page)
        assert_no_injection(page, MENTIONS)


def test_filter_syntax() -> None:
    assert parse_queue_text("", "U1") == QueueFilter()
    f = parse_queue_text("project:reviews reason=other section:s#a assignee:me page:3", "U1")
    assert f == QueueFilter("reviews", "other", "s#a", "U1", 3)
    assert parse_queue_text("assignee:@U123", "U1").assignee == "U123"
    assert parse_queue_text("ASSIGNEE:None", "U1").assignee == UNASSIGNED
    assert f.describe() == "project:reviews reason:other section:s#a assignee:U1"
    for bad, why in (
        ("colour:red", "unknown filter"),
        ("reviews", "is not a filter"),
        ("project:a project:b", "twice"),
        ("project:", "no value"),
        ("assignee:@ann", "not a user"),
        ("page:0", "page must be"),
        ("page:٣", "page must be"),
        ("project:" + "x" * 101, "longer than"),
    ):
        with pytest.raises(QueueSyntaxError, match=why):
            parse_queue_text(bad, "U1")
    assert page_slice(23, 3, 10) == (20, 23) and page_slice(5, 4, 10) == (5, 5)


def test_case_values() -> None:
    assert parse_case_value("42") == 42
    for bad in (None, "", "0", "-1", " 1", "1.0", "١", "9" * 19, 7):
        with pytest.raises(ValueError):
            parse_case_value(bad)
    assert [b["action_id"] for b in case_buttons(3, assigned_to_me=True)] == [
        "flag_case_comment",
        "flag_case_adjudicate",
    ]
