"""Text a user typed (`<!channel>`, `<@U123>`, `&lt;`) is stored verbatim and shown escaped everywhere:
the queue, the modals, the flagger's DM, the thread reply, the lead's confirmation, the App Home."""

from __future__ import annotations

import json
from typing import Any

from bot.slack.blocks.flag_case import CASE_ADJUDICATE, CASE_COMMENT
from bot.slack.flag_queue.builder import B_COMMENT, CALLBACK_COMMENT
from tests.bot.helpers import Bot, texts
from tests.flags_slack.conftest import opened_view
from tests.flags_triage.conftest import (
    EVIL,
    FLAGGER,
    LEAD,
    THREAD_TS,
    adjudication,
    case,
    click,
    decision_state,
    file,
    messages_to,
    queue,
    wait_until,
)
from tests.support.blockkit import assert_no_injection
from tests.support.slackreq import view_submission_body

MENTIONS = ("<@U111>", "<@ULEAD1>")


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


def test_typed_text_is_stored_verbatim_and_shown_escaped_everywhere(bot: Bot) -> None:
    case_id = file(bot.engine, comment=EVIL)
    # A lead's comment with the same text, through the comment modal.
    click(bot, CASE_COMMENT, str(case_id), name="c")
    view = opened_view(bot.fake)
    values = {B_COMMENT: {B_COMMENT: {"type": "plain_text_input", "value": EVIL}}}
    bot.slack.send(view_submission_body(CALLBACK_COMMENT, values, view["private_metadata"], user_id=LEAD))
    [event] = wait_until(lambda: [e for e in case(bot.engine, case_id).events if e.kind == "comment"])
    assert event.text == EVIL and case(bot.engine, case_id).flags[0].comment == EVIL

    [page] = queue(bot)
    shown = texts(page)
    assert "&lt;!channel&gt; &lt;@U123&gt; &amp;lt; &amp;" in shown  # the flag's and the lead's comment
    bot.slack.event({"type": "app_home_opened", "user": LEAD, "tab": "home", "event_ts": "1.1"}, "EvE1")
    bot.fake.wait_for("views.publish")
    click(bot, CASE_ADJUDICATE, str(case_id), name="a", trigger_id="2.2.a")
    opened_view(bot.fake, 2)

    bot.slack.send(adjudication(case_id, decision_state(note=EVIL)))
    decision = wait_until(lambda: case(bot.engine, case_id).decision)
    assert decision.note == EVIL
    [dm] = wait_until(lambda: messages_to(bot, FLAGGER))
    [reply] = wait_until(
        lambda: [m for m in messages_to(bot, "C111") if m.params.get("thread_ts") == THREAD_TS]
    )
    for message in (dm, reply):
        assert "&lt;!channel&gt; &lt;@U123&gt; &amp;lt;" in texts(message.param_json("blocks"))
        assert "<!channel>" not in json.dumps(message.params) and "<@U123>" not in json.dumps(message.params)
    # The decision's DM and the lead's confirmation come after the ack; earlier messages to the flagger
    # and the lead (the filing summary, the comment's confirmation) must not stand in for them.
    wait_until(lambda: "adjudicated by" in texts(_sent(bot)) and "is decided" in texts(_sent(bot)))
    sent = _sent(bot)
    # What was checked: the queue, the Home tab, both modals, the DM, the reply, the confirmation.
    everything = texts(sent)
    assert "Flag queue" in everything and "Flag cases to triage" in everything
    assert "adjudicated by" in everything and "is decided" in everything
    assert_no_injection(sent, MENTIONS)
