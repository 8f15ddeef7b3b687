"""Any text in any modal field, or in the message a flag is filed from: a flag or inline errors, never a
5xx, and nothing unescaped in anything sent to Slack (real HTTP app, fake Slack, SQLite and PostgreSQL)."""

from __future__ import annotations

import itertools
import json
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.slack.flags.builder import B_COMMENT, B_ITEM, CALLBACK
from bot.slack.flags.listeners import SHORTCUT
from bot.slack.request import drop_controls
from bot.store.db import session_scope
from bot.store.models.flags import Flag
from tests.bot.helpers import Bot
from tests.flags_slack.conftest import flag_count, opened_view
from tests.flags_slack.test_builder import validate_view
from tests.flags_slack.test_filing import state, submission
from tests.support.blockkit import assert_no_injection
from tests.support.slackreq import view_submission_body

_SETTINGS = settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
_TEXT = st.text(max_size=400)
_SHORT = st.one_of(
    st.sampled_from(["reviews", "Positive", "Negative", "other", "product-sentiment#sarcasm"]), _TEXT
)
_IDS = itertools.count()


def _sent_blocks(bot: Bot) -> list[dict]:
    """Every block sent to the fake Slack in messages and views so far."""
    out: list[dict] = []
    for call in bot.fake.requests():
        for key in ("blocks", "view"):
            value = call.param_json(key)
            if isinstance(value, dict):
                value = value.get("blocks", [])
            if isinstance(value, list):
                out.extend(value)
    return out


@_SETTINGS
@given(
    project=_SHORT,
    item=_TEXT,
    my_label=_SHORT,
    other=_SHORT,
    gold=_SHORT,
    reason=_SHORT,
    section=_SHORT,
    comment=st.text(max_size=3100),
    metadata=_TEXT,
)
def test_any_submission_is_a_flag_or_inline_errors(
    bot: Bot,
    project: str,
    item: str,
    my_label: str,
    other: str,
    gold: str,
    reason: str,
    section: str,
    comment: str,
    metadata: str,
) -> None:
    before = flag_count(bot.engine)
    posted = len(bot.fake.calls("chat.postMessage")) + len(bot.fake.calls("chat.postEphemeral"))
    values = state(
        project=project,
        item=item,
        my_label=my_label,
        annotator=(other,),
        gold=gold,
        model=(other,),
        reason=reason,
        section=section,
        comment=comment,
    )
    status, _, answer = bot.slack.send(submission(values, metadata, view_id=f"VP{next(_IDS)}"))
    assert status == 200, answer
    if answer:
        reply = json.loads(answer)
        assert reply["response_action"] == "errors" and reply["errors"]
        assert all(isinstance(m, str) and m for m in reply["errors"].values())
        time.sleep(0.05)
        assert flag_count(bot.engine) == before
    else:
        deadline = time.monotonic() + 5
        while flag_count(bot.engine) == before and time.monotonic() < deadline:
            time.sleep(0.02)
        assert flag_count(bot.engine) == before + 1
        bot.fake.wait_for("chat.postMessage", count=posted + 1) if not bot.fake.calls(
            "chat.postEphemeral"
        ) else None
    assert_no_injection(_sent_blocks(bot))


def _flag_of(bot: Bot, key: str) -> Flag:
    """The flag stored for this idempotency key (waiting for the work after the ack)."""
    deadline = time.monotonic() + 5
    while True:
        with session_scope(bot.engine) as session:
            found = session.scalars(select(Flag).where(Flag.idempotency_key == key)).one_or_none()
            if found is not None:
                session.expunge(found)
                return found
        assert time.monotonic() < deadline, f"no flag stored for {key}"
        time.sleep(0.02)


def _wait_confirmations(bot: Bot, count: int) -> None:
    deadline = time.monotonic() + 5
    while len(bot.fake.calls("chat.postMessage")) + len(bot.fake.calls("chat.postEphemeral")) < count:
        assert time.monotonic() < deadline, "no confirmation"
        time.sleep(0.02)


@_SETTINGS
@given(item=_TEXT, comment=st.text(max_size=3100))
def test_typed_text_is_stored_as_typed_or_refused_inline(bot: Bot, item: str, comment: str) -> None:
    posted = len(bot.fake.calls("chat.postMessage"))
    view_id = f"VT{next(_IDS)}"
    status, _, answer = bot.slack.send(submission(state(item=item, comment=comment), view_id=view_id))
    assert status == 200, answer
    if answer:
        assert set(json.loads(answer)["errors"]) <= {B_ITEM, B_COMMENT}
        return
    flag = _flag_of(bot, f"{view_id}:1.a")
    assert flag.item_id == drop_controls(item).strip()
    _wait_confirmations(bot, posted + 1)
    # Slack's C0 controls leave every request (bot.slack.app._drop_controls); the rest is kept verbatim.
    assert flag.comment == drop_controls(comment)
    assert_no_injection(_sent_blocks(bot))


@_SETTINGS
@given(text=st.text(max_size=2000))
def test_any_message_opens_a_valid_modal(bot: Bot, text: str) -> None:
    n = len(bot.fake.calls("views.open")) + 1
    message = {"type": "message", "user": "U222", "ts": f"1700000000.{n:06d}", "text": text}
    status, _, _ = bot.slack.shortcut(SHORTCUT, message=message, trigger_id=f"t.{n}")
    assert status == 200
    validate_view(opened_view(bot.fake, n))


def test_a_view_of_another_callback_is_not_ours(bot: Bot) -> None:
    status, _, _ = bot.slack.send(view_submission_body("someone_else", state()))
    assert status == 404
    assert flag_count(bot.engine) == 0 and CALLBACK != "someone_else"
