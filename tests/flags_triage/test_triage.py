"""Triage as a lead would do it, over the real HTTP app against the fake Slack (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import time
from typing import Any

from bot.slack.blocks.flag_case import CASE_ADJUDICATE, CASE_ASSIGN, CASE_COMMENT
from bot.slack.flag_queue.builder import B_COMMENT, B_FINAL, B_OUTCOME, CALLBACK_COMMENT
from bot.slack.flags.listeners import SHORTCUT
from bot.store.db import session_scope
from bot.store.flags import adjudicated_labels
from tests.bot.helpers import Bot, buttons, texts
from tests.flags_slack.conftest import opened_view
from tests.flags_slack.test_filing import state, submission
from tests.flags_triage.conftest import (
    CONTRACTS,
    FLAGGER,
    LEAD,
    REVIEWS,
    THREAD_TS,
    adjudication,
    audit_rows,
    case,
    cases,
    click,
    decision_state,
    file,
    messages_to,
    queue,
    wait_until,
)
from tests.support.blockkit import assert_no_injection, validate_message
from tests.support.slackreq import view_submission_body

MENTIONS = ("<@U111>", "<@U222>", "<@ULEAD1>", "<@ULEAD2>")


def _blocks(params: dict[str, Any]) -> list[dict[str, Any]]:
    blocks = params.get("blocks")
    return json.loads(blocks) if isinstance(blocks, str) else blocks


def test_filed_from_a_message_then_listed_assigned_commented_and_adjudicated(bot: Bot) -> None:
    # An annotator files a flag from a message (the Done-when path).
    message = {"type": "message", "user": "U222", "ts": THREAD_TS, "text": "is item:rev-42 Positive?"}
    bot.slack.shortcut(SHORTCUT, message=message)
    view = opened_view(bot.fake)
    bot.slack.send(submission(state(), view["private_metadata"]))
    [filed] = wait_until(lambda: cases(bot.engine))
    assert filed.flags[0].thread_ts == THREAD_TS

    # The lead lists the queue: the case, its labels in conflict, reason, section at version, buttons.
    [page] = queue(bot)
    blocks = _blocks(page)
    validate_message(blocks)
    shown = texts(blocks)
    assert f"Case #{filed.id}" in shown and "rev-42" in shown
    assert "Negative" in shown and "Positive" in shown and "Label confusion" in shown
    assert "`product-sentiment` `v1.1.0` `#sarcasm`" in shown and "unassigned" in shown
    value = str(filed.id)
    assert buttons(blocks, CASE_ASSIGN) == [value]
    assert buttons(blocks, CASE_COMMENT) == [value] and buttons(blocks, CASE_ADJUDICATE) == [value]

    # Assign to me.
    name = click(bot, CASE_ASSIGN, value, name="assign")
    [answer] = bot.fake.wait_for_response(name)
    assert "assigned to <@ULEAD1>" in texts(answer.params)
    assert case(bot.engine, filed.id).assignee == LEAD
    assert case(bot.engine, filed.id).status == "assigned"

    # Comment: the modal opens, the submission stores the comment.
    click(bot, CASE_COMMENT, value, name="comment", trigger_id="2.2.c")
    comment_view = opened_view(bot.fake, 2)
    assert comment_view["callback_id"] == CALLBACK_COMMENT
    values = {B_COMMENT: {B_COMMENT: {"type": "plain_text_input", "value": "Checking with the author"}}}
    body = view_submission_body(
        CALLBACK_COMMENT, values, comment_view["private_metadata"], user_id=LEAD, view_id="VC1"
    )
    status, _, ack = bot.slack.send(body)
    assert status == 200 and ack == ""
    wait_until(lambda: [e for e in case(bot.engine, filed.id).events if e.kind == "comment"])

    # Adjudicate: the modal offers the guideline's labels and the four outcomes.
    click(bot, CASE_ADJUDICATE, value, name="adj", trigger_id="3.3.a")
    adj_view = opened_view(bot.fake, 3)
    [final] = [b for b in adj_view["blocks"] if b.get("block_id") == B_FINAL]
    assert [o["value"] for o in final["element"]["options"]] == ["Positive", "Negative", "Neutral", "Mixed"]
    [outcome] = [b for b in adj_view["blocks"] if b.get("block_id") == B_OUTCOME]
    assert len(outcome["element"]["options"]) == 4
    meta = adj_view["private_metadata"]
    body = view_submission_body(
        adj_view["callback_id"], decision_state(gold=True), meta, user_id=LEAD, view_id="VA1"
    )
    status, _, ack = bot.slack.send(body)
    assert status == 200 and ack == ""

    decided = wait_until(lambda: case(bot.engine, filed.id).decision)
    assert (decided.final_label, decided.outcome, decided.decided_by) == ("Positive", "other_right", LEAD)
    assert decided.add_to_gold and case(bot.engine, filed.id).status == "resolved"
    with session_scope(bot.engine) as session:
        [label] = adjudicated_labels(session, "reviews")
    assert (label.item_id, label.label) == ("rev-42", "Positive")

    # The flagger's DM and the thread reply, recorded by the fake.
    [dm] = wait_until(lambda: messages_to(bot, FLAGGER))
    dm_text = texts(dm.param_json("blocks"))
    assert "adjudicated by <@ULEAD1>" in dm_text and "Positive" in dm_text
    [reply] = wait_until(
        lambda: [m for m in messages_to(bot, "C111") if m.params.get("thread_ts") == THREAD_TS]
    )
    assert "Positive" in texts(reply.param_json("blocks"))
    # The lead's confirmation, ephemeral where the queue was shown.
    wait_until(lambda: [c for c in bot.fake.calls("chat.postEphemeral") if c.params.get("user") == LEAD])

    # Every lead action is audited as privileged and allowed.
    actions = [(r.action, r.allowed) for r in audit_rows(bot.engine, LEAD)]
    assert ("flag.queue", True) in actions and ("flag.triage", True) in actions
    assert ("flag.adjudicate", True) in actions and ("gold.add", True) in actions

    # The case left the queue.
    [page] = queue(bot, name="q2")
    assert "No open case matches" in texts(_blocks(page))


def test_a_non_leads_attempts_change_nothing_are_explained_and_audited(bot: Bot) -> None:
    case_id = file(bot.engine)
    # The queue.
    [page] = queue(bot, user=FLAGGER, name="q")
    assert "Only a lead or a manager of project reviews may see the flag queue" in texts(page)
    # The Adjudicate button's value, replayed.
    name = click(bot, CASE_ADJUDICATE, str(case_id), user=FLAGGER, name="adj")
    [answer] = bot.fake.wait_for_response(name)
    assert "Only a lead or a manager of project reviews may adjudicate flags" in texts(answer.params)
    assert bot.fake.calls("views.open") == []
    click(bot, CASE_ASSIGN, str(case_id), user=FLAGGER, name="assign")
    assert "may triage flags" in texts(bot.fake.wait_for_response("assign")[0].params)
    # The modal submitted without being opened: acked, nothing stored, told (ephemeral in C111).
    status, _, _ = bot.slack.send(adjudication(case_id, decision_state(gold=True), user=FLAGGER))
    assert status == 200
    [told] = bot.fake.wait_for("chat.postEphemeral")
    assert told.params["user"] == FLAGGER and "may adjudicate flags" in texts(told.param_json("blocks"))
    time.sleep(0.2)
    stored = case(bot.engine, case_id)
    assert stored.decision is None and stored.status == "open" and stored.assignee is None
    rows = [(r.action, r.allowed, r.role_needed, r.role_had) for r in audit_rows(bot.engine, FLAGGER)]
    assert rows.count(("flag.adjudicate", False, "lead", "annotator")) == 2
    assert ("flag.queue", False, "lead", "annotator") in rows and (
        "flag.triage",
        False,
        "lead",
        "annotator",
    ) in rows
    assert not messages_to(bot, FLAGGER)  # no outcome DM


def test_a_lead_of_another_project_is_denied_on_this_one(make_bot: Any) -> None:
    bot = make_bot(REVIEWS, CONTRACTS)
    case_id = file(bot.engine)
    name = click(bot, CASE_ADJUDICATE, str(case_id), user="ULEAD2X", name="x")
    assert "may adjudicate" in texts(bot.fake.wait_for_response(name)[0].params)
    # ULEAD2 leads both: the queue lists reviews and contracts.
    file(bot.engine, "c-1", project="contracts", my_label="PARTY", other="DATE", thread=False)
    [page] = queue(bot, user="ULEAD2")
    shown = texts(page)
    assert "2 unresolved cases in reviews, contracts" in shown


def test_filters_narrow_the_queue(make_bot: Any) -> None:
    bot = make_bot(REVIEWS, CONTRACTS)
    a = file(bot.engine, "rev-1")
    b = file(bot.engine, "rev-2", reason="guideline_unclear", anchor="neutral")
    c = file(bot.engine, "c-1", project="contracts", my_label="PARTY", other="DATE", thread=False)
    click(bot, CASE_ASSIGN, str(b), user="ULEAD2", name="as")
    wait_until(lambda: case(bot.engine, b).assignee)

    def shown(text: str, name: str) -> str:
        return "\n".join(texts(p) for p in queue(bot, text, user="ULEAD2", name=name))

    assert f"Case #{a}" in shown("", "all") and f"Case #{c}" in shown("", "all2")
    only = shown("project:contracts", "p")
    assert f"Case #{c}" in only and f"Case #{a}" not in only
    reason = shown("reason:guideline_unclear", "r")
    assert f"Case #{b}" in reason and f"Case #{a}" not in reason
    section = shown("section:product-sentiment#neutral", "s")
    assert f"Case #{b}" in section and f"Case #{a}" not in section
    mine = shown("assignee:me", "me")
    assert f"Case #{b}" in mine and f"Case #{a}" not in mine
    assert f"Case #{b}" in shown("assignee:<@ULEAD2>", "mention")
    nobody = shown("assignee:none", "none")
    assert f"Case #{a}" in nobody and f"Case #{b}" not in nobody
    bad = shown("colour:red", "bad")
    assert "unknown filter" in bad and "Usage" in bad
    assert "unknown project" in shown("project:nope", "nope")


def test_the_queue_pages_within_block_kit_limits(bot: Bot) -> None:
    long = "word " * 598  # a 2,990-character comment per flag
    for n in range(23):
        file(bot.engine, f"rev-{n:02d}" + "x" * 190, comment=long)
    pages = queue(bot)
    for page in pages:
        validate_message(_blocks(page))
    shown = "\n".join(texts(p) for p in pages)
    assert "23 unresolved cases" in shown and "showing 1–10" in shown
    assert "13 more: `/flag queue page:2`" in shown
    third = "\n".join(texts(p) for p in queue(bot, "page:3", name="p3"))
    assert "showing 21–23" in third and "more:" not in third


def test_a_decided_case_refuses_a_second_decision_inline(bot: Bot) -> None:
    case_id = file(bot.engine)
    bot.slack.send(adjudication(case_id, decision_state()))
    wait_until(lambda: case(bot.engine, case_id).decision)
    status, _, ack = bot.slack.send(
        adjudication(case_id, decision_state(final="Neutral"), user="ULEAD2", view_id="VA2")
    )
    assert status == 200
    errors = json.loads(ack)["errors"]
    assert "adjudicated already by ULEAD1" in errors[B_OUTCOME] and "Positive" in errors[B_OUTCOME]
    assert case(bot.engine, case_id).decision.final_label == "Positive"
    # Its Adjudicate button says so too, and opens nothing.
    name = click(bot, CASE_ADJUDICATE, str(case_id), name="again")
    assert "adjudicated already" in texts(bot.fake.wait_for_response(name)[0].params)


def test_invalid_decisions_come_back_inline(bot: Bot) -> None:
    case_id = file(bot.engine)
    for values, block in (
        (decision_state(final="Sarcastic"), B_FINAL),
        (decision_state(final=None), B_FINAL),
        (decision_state(outcome="maybe"), B_OUTCOME),
        (decision_state(change="contract-ner#party"), "flagq_section_change"),
    ):
        status, _, ack = bot.slack.send(adjudication(case_id, values))
        assert status == 200 and block in json.loads(ack)["errors"]
    time.sleep(0.1)
    assert case(bot.engine, case_id).decision is None


def test_slack_failures_after_the_decision_lose_nothing(bot: Bot) -> None:
    case_id = file(bot.engine)
    file(bot.engine, by="U222", my_label="Neutral")
    # The first DM meets a 429 (retried after Retry-After), the next post 5xx until retries run out.
    bot.fake.fail_next("chat.postMessage", 429, retry_after=0)
    bot.fake.fail_next("chat.postMessage", 500, times=3)
    bot.slack.send(adjudication(case_id, decision_state(note="ok")))
    assert wait_until(lambda: case(bot.engine, case_id).decision)
    # One DM arrived after the 429; the other was lost to the 5xx; the thread reply went out.
    wait_until(lambda: [m for m in messages_to(bot, "C111") if m.params.get("thread_ts") == THREAD_TS])
    delivered = [
        m
        for m in bot.fake.calls("chat.postMessage")
        if m.delivered and m.params["channel"] in ("U111", "U222")
    ]
    assert len(delivered) == 1
    assert len(bot.fake.calls("chat.postMessage")) >= 1 + 1 + 3 + 1


def test_unsigned_requests_do_nothing(bot: Bot) -> None:
    case_id = file(bot.engine)
    body = adjudication(case_id, decision_state())
    for headers in ({"X-Slack-Signature": "v0=" + "0" * 64}, {"X-Slack-Request-Timestamp": "1"}):
        status, _, _ = bot.slack.send(body, headers=headers)
        assert status in (400, 401, 403)
    time.sleep(0.2)
    assert case(bot.engine, case_id).decision is None
    assert bot.fake.requests() == []


def test_home_shows_a_leads_open_cases(bot: Bot) -> None:
    first = file(bot.engine, "rev-1")
    for n in range(2, 8):
        file(bot.engine, f"rev-{n}")
    event = {"type": "app_home_opened", "user": LEAD, "channel": "D1", "tab": "home", "event_ts": "1.2"}
    bot.slack.event(event, "EvH1")
    [published] = bot.fake.wait_for("views.publish")
    view = published.param_json("view")
    shown = texts(view["blocks"])
    assert "Flag cases to triage" in shown and "*7* unresolved cases" in shown
    assert f"Case #{first}" in shown and "Annotation guidelines" in shown
    assert buttons(view["blocks"], CASE_ADJUDICATE)[0] == str(first)
    assert len(buttons(view["blocks"], CASE_ADJUDICATE)) == 5
    # An annotator's Home has no triage section.
    bot.slack.event({**event, "user": FLAGGER}, "EvH2")
    annotator = bot.fake.wait_for("views.publish", count=2)[1].param_json("view")
    assert "Flag cases to triage" not in texts(annotator["blocks"])
    # Adjudicate from Home: no response_url; the modal opens with the trigger.
    bot.slack.action(
        CASE_ADJUDICATE, str(first), user_id=LEAD, response_url=None, view={"id": "VH", "type": "home"}
    )
    assert opened_view(bot.fake)["callback_id"] == "flag_case_adjudicate_submit"
    assert_no_injection(view["blocks"], MENTIONS)


def test_a_user_who_leads_no_project_is_denied_the_queue_on_each(make_bot: Any) -> None:
    bot = make_bot(REVIEWS, CONTRACTS)
    [page] = queue(bot, user=FLAGGER)
    assert "Only a lead or a manager of a project may see the flag queue" in texts(page)
    assert "reviews, contracts" in texts(page)
    rows = [(r.action, r.project, r.allowed) for r in audit_rows(bot.engine, FLAGGER)]
    assert rows == [("flag.queue", "reviews", False), ("flag.queue", "contracts", False)]
    # A lead of one project sees that one; nothing is recorded about the other.
    [page] = queue(bot, user="ULEAD1", name="q2")
    assert "in reviews" in texts(page)
    assert [(r.project, r.allowed) for r in audit_rows(bot.engine, "ULEAD1")] == [("reviews", True)]
