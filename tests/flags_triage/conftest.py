"""Triage over real HTTP against the fake Slack: a project with leads, flags filed, helpers to click
the queue's buttons and submit the modals (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine

from bot.config import ProjectConfig
from bot.slack.flag_queue.builder import (
    B_CHANGE,
    B_FINAL,
    B_GOLD,
    B_NOTE,
    B_OUTCOME,
    CALLBACK_ADJUDICATE,
    GOLD_VALUE,
)
from bot.store import audit
from bot.store.db import session_scope
from bot.store.flags import CaseRecord, file_flag, get_case, list_cases
from reports.flags.input import FlagInput, OtherLabel
from tests.bot.helpers import Bot
from tests.support.projectbot import fake, make_bot, publish_example_guidelines  # noqa: F401  (fixtures)
from tests.support.slackreq import view_submission_body

LEAD = "ULEAD1"
LEAD2 = "ULEAD2"
FLAGGER = "U111"  # the requests' default user: an annotator
FLAGGER2 = "U222"
REVIEWS = ProjectConfig(
    name="reviews", guideline="product-sentiment", channels=("C111",), leads=(LEAD, LEAD2)
)
CONTRACTS = ProjectConfig(name="contracts", guideline="contract-ner", channels=("C222",), leads=(LEAD2,))
THREAD_TS = "1700000123.000200"
EVIL = "<!channel> <@U123> &lt; & <https://x|y>"


@pytest.fixture
def bot(make_bot: Callable[..., Bot]) -> Bot:
    """The `reviews` project (product-sentiment), leads ULEAD1 and ULEAD2."""
    return make_bot(REVIEWS)


def file(
    engine: Engine,
    item: str = "rev-42",
    *,
    by: str = FLAGGER,
    project: str = "reviews",
    my_label: str = "Negative",
    other: str = "Positive",
    reason: str = "label_confusion",
    comment: str = "Sarcasm again",
    thread: bool = True,
    anchor: str | None = "sarcasm",
) -> int:
    """File a flag in the store (as the filing feature does); its case id."""
    with session_scope(engine) as session:
        filed = file_flag(
            session,
            FlagInput(
                project=project,
                item_id=item,
                filed_by=by,
                my_label=my_label,
                reason=reason,
                guideline="product-sentiment" if project == "reviews" else "contract-ner",
                version="1.1.0",
                other_labels=(OtherLabel(other, "annotator"),),
                anchor=anchor,
                comment=comment,
                permalink="https://acme.slack.com/archives/C111/p1700000123000200" if thread else None,
                channel="C111" if thread else None,
                thread_ts=THREAD_TS if thread else None,
            ),
        )
    return filed.case_id


def case(engine: Engine, case_id: int) -> CaseRecord:
    """The stored case."""
    with session_scope(engine) as session:
        return get_case(session, case_id)


def cases(engine: Engine) -> list[CaseRecord]:
    """Every stored case."""
    with session_scope(engine) as session:
        return list_cases(session)


def audit_rows(engine: Engine, user: str) -> list[audit.AuditEntry]:
    """The user's audit rows, oldest first."""
    with session_scope(engine) as session:
        return list(reversed(audit.list_events(session, user_id=user)))


def wait_until(check: Callable[[], Any], timeout: float = 5.0) -> Any:
    """Poll `check` until it returns something truthy (the work after the ack); that value."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)


def queue(bot: Bot, text: str = "", user: str = LEAD, name: str = "q") -> list[dict[str, Any]]:
    """`/flag queue TEXT` as `user`: every message posted to its response_url (parameters)."""
    url = bot.fake.response_url(name)
    status, _, _ = bot.slack.command("/flag", f"queue {text}".strip(), user_id=user, response_url=url)
    assert status == 200
    first = bot.fake.wait_for_response(name)
    time.sleep(0.1)  # a later page of the same answer
    assert first
    return [c.params for c in bot.fake.responses(name)]


def click(bot: Bot, action_id: str, value: str, user: str = LEAD, name: str = "b", **kwargs: Any) -> str:
    """Click a button of an ephemeral queue message as `user`; the response_url name it answers to."""
    url = bot.fake.response_url(name)
    status, _, _ = bot.slack.action(action_id, value, user_id=user, response_url=url, **kwargs)
    assert status == 200
    return name


def decision_state(
    final: str | None = "Positive",
    outcome: str | None = "other_right",
    note: str | None = "Sarcasm reads as the opposite",
    change: str | None = None,
    gold: bool = False,
) -> dict[str, Any]:
    """The state.values of the adjudication modal."""

    def option(value: str) -> dict[str, Any]:
        return {"text": {"type": "plain_text", "text": value}, "value": value}

    return {
        B_FINAL: {B_FINAL: {"type": "static_select", "selected_option": option(final) if final else None}},
        B_OUTCOME: {
            B_OUTCOME: {"type": "radio_buttons", "selected_option": option(outcome) if outcome else None}
        },
        B_NOTE: {B_NOTE: {"type": "plain_text_input", "value": note}},
        B_CHANGE: {
            B_CHANGE: {"type": "external_select", "selected_option": option(change) if change else None}
        },
        B_GOLD: {B_GOLD: {"type": "checkboxes", "selected_options": [option(GOLD_VALUE)] if gold else []}},
    }


def adjudication(
    case_id: int, values: dict[str, Any], user: str = LEAD, *, channel: str = "C111", view_id: str = "VA1"
) -> str:
    """A view_submission body of the adjudication modal for `case_id`."""
    meta = json.dumps({"case": case_id, "p": "reviews", "c": channel})
    return view_submission_body(CALLBACK_ADJUDICATE, values, meta, user_id=user, view_id=view_id)


def messages_to(bot: Bot, channel: str) -> list[Any]:
    """chat.postMessage calls delivered to `channel`."""
    return [
        c for c in bot.fake.calls("chat.postMessage") if c.delivered and c.params.get("channel") == channel
    ]
