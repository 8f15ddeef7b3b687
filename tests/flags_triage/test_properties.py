"""Any text in the queue's filters, the adjudication modal's fields and the triage buttons' values: an
answer, a decision or inline errors, never a 5xx, nothing unescaped sent, nothing changed by a refusal
(real HTTP app, fake Slack, SQLite and PostgreSQL)."""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.slack.blocks.flag_case import CASE_ACTIONS
from bot.slack.flag_queue.builder import B_TASK
from bot.slack.request import drop_controls
from tests.bot.helpers import Bot
from tests.flags_triage.conftest import FLAGGER, LEAD, adjudication, case, decision_state, file, wait_until
from tests.support.blockkit import assert_no_injection
from tests.support.slackreq import view_submission_body

_SETTINGS = settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
_IDS = itertools.count()
MENTIONS = ("<@U111>", "<@ULEAD1>", "<@ULEAD2>")
_TEXT = st.text(max_size=300)
_WORD = st.one_of(
    st.sampled_from(
        [
            "project:reviews",
            "project:<!channel>",
            "reason:label_confusion",
            "section:product-sentiment#sarcasm",
            "section:&lt;",
            "assignee:me",
            "assignee:none",
            "assignee:<@U123|bob>",
            "assignee:@ann",
            "page:2",
            "page:0",
            "page:99999999999",
            "<@U123>",
            "&amp;",
        ]
    ),
    st.text(max_size=40),
)


def _sent(bot: Bot) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for call in bot.fake.requests():
        for key in ("blocks", "view"):
            value = call.param_json(key)
            if isinstance(value, dict):
                value = value.get("blocks", [])
            if isinstance(value, list):
                out.extend(value)
    return out


@_SETTINGS
@given(words=st.lists(_WORD, max_size=5))
def test_any_queue_filter_is_an_answer_or_an_explanation(bot: Bot, words: list[str]) -> None:
    name = f"q{next(_IDS)}"
    status, _, _ = bot.slack.command(
        "/flag", "queue " + " ".join(words), user_id=LEAD, response_url=bot.fake.response_url(name)
    )
    assert status == 200
    [answer] = bot.fake.wait_for_response(name)[:1]
    assert answer.params.get("blocks")
    assert_no_injection(_sent(bot), MENTIONS)


_LABEL = st.one_of(st.sampled_from(["Positive", "Negative", "Sarcastic", ""]), _TEXT)
_OUTCOME = st.one_of(
    st.sampled_from(["annotator_right", "other_right", "both_acceptable", "guideline_must_change"]), _TEXT
)
_CHANGE = st.one_of(st.sampled_from(["product-sentiment#sarcasm", "contract-ner#party", "#", ""]), _TEXT)
_META = st.one_of(
    st.none(), _TEXT, st.sampled_from(['{"case": -1}', '{"case": true}', '{"case": "1"}', "[]"])
)


@_SETTINGS
@given(
    final=_LABEL,
    outcome=_OUTCOME,
    note=st.text(max_size=3100),
    change=_CHANGE,
    gold=st.booleans(),
    meta=_META,
    task=st.one_of(st.none(), _TEXT),
)
def test_any_adjudication_is_a_decision_or_inline_errors(
    bot: Bot, final: str, outcome: str, note: str, change: str, gold: bool, meta: str | None, task: str | None
) -> None:
    case_id = file(bot.engine, f"rev-p{next(_IDS)}", comment="<!channel> hi")
    values = decision_state(
        final=final or None, outcome=outcome or None, note=note, change=change or None, gold=gold
    )
    if task is not None:  # a Task field the form of an item in no task never shows: forged
        values[B_TASK] = {B_TASK: {"type": "plain_text_input", "value": task}}
    if meta is None:
        body = adjudication(case_id, values, view_id=f"VP{case_id}")
    else:
        body = view_submission_body("flag_case_adjudicate_submit", values, meta, user_id=LEAD)
    status, _, ack = bot.slack.send(body)
    assert status == 200, ack
    if ack:
        reply = json.loads(ack)
        assert reply["response_action"] == "errors" and reply["errors"]
        assert all(isinstance(m, str) and m for m in reply["errors"].values())
        time.sleep(0.05)
        assert case(bot.engine, case_id).decision is None
    else:
        decision = wait_until(lambda: case(bot.engine, case_id).decision)
        assert decision.final_label == final and decision.note == drop_controls(note)
        assert decision.add_to_gold is gold and decision.decided_by == LEAD
        assert decision.task == "default"  # the store has no labels of the item: a forged task is ignored
        wait_until(
            lambda: [c for c in bot.fake.calls("chat.postMessage") if c.params.get("channel") == FLAGGER]
        )
    assert_no_injection(_sent(bot), MENTIONS)


_VALUE = st.one_of(
    st.none(), _TEXT, st.integers(-5, 10**20).map(str), st.sampled_from(["1", "01", "", " 1", "1e3"])
)


@_SETTINGS
@given(action=st.sampled_from(CASE_ACTIONS), value=_VALUE, lead=st.booleans())
def test_any_button_value_is_acted_on_or_explained(
    bot: Bot, action: str, value: str | None, lead: bool
) -> None:
    case_id = file(bot.engine, f"rev-b{next(_IDS)}")
    before = case(bot.engine, case_id)
    name = f"b{next(_IDS)}"
    user = LEAD if lead else FLAGGER
    opened = len(bot.fake.calls("views.open"))
    status, _, _ = bot.slack.action(
        action, value, user_id=user, response_url=bot.fake.response_url(name), trigger_id=f"t.{name}"
    )
    assert status == 200
    # Every click is answered: a message or a modal.
    wait_until(lambda: bot.fake.responses(name) or bot.fake.calls("views.open")[opened:])
    views = bot.fake.calls("views.open")[opened:]
    if not lead:
        assert not views
        after = case(bot.engine, case_id)
        assert (after.status, after.assignee, after.decision) == (
            before.status,
            before.assignee,
            before.decision,
        )
    assert_no_injection(_sent(bot), MENTIONS)
