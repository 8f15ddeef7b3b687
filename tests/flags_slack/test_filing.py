"""Filing a flag as a user would, over the real HTTP app against the fake Slack (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from bot.slack.blocks.flag_link import FLAG_FROM_SECTION
from bot.slack.flags.builder import (
    B_ANNOTATOR,
    B_COMMENT,
    B_GOLD,
    B_ITEM,
    B_MODEL,
    B_MY_LABEL,
    B_PROJECT,
    B_REASON,
    B_SECTION,
    CALLBACK,
)
from bot.slack.flags.listeners import SHORTCUT
from tests.bot.helpers import Bot, buttons
from tests.flags_slack.conftest import (
    CONTRACTS,
    REVIEWS,
    block,
    flag_count,
    opened_view,
    stored_flags,
)
from tests.support.slackreq import USER_ID, view_submission_body

MESSAGE_TS = "1700000123.000200"


def _option(value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": value}, "value": value}


def state(
    *,
    project: str | None = "reviews",
    item: str | None = "rev-42",
    my_label: str | None = "Negative",
    annotator: tuple[str, ...] = ("Positive",),
    gold: str | None = None,
    model: tuple[str, ...] = (),
    reason: str | None = "label_confusion",
    section: str | None = "product-sentiment#sarcasm",
    comment: str | None = "Sarcasm again",
) -> dict[str, Any]:
    """The state.values Slack sends for the flag modal."""

    def select(value: str | None) -> dict[str, Any]:
        return {"type": "static_select", "selected_option": _option(value) if value is not None else None}

    def multi(values: tuple[str, ...]) -> dict[str, Any]:
        return {"type": "multi_static_select", "selected_options": [_option(v) for v in values]}

    def text(value: str | None) -> dict[str, Any]:
        return {"type": "plain_text_input", "value": value}

    return {
        B_PROJECT: {B_PROJECT: select(project)},
        B_ITEM: {B_ITEM: text(item)},
        B_MY_LABEL: {B_MY_LABEL: select(my_label)},
        B_ANNOTATOR: {B_ANNOTATOR: multi(annotator)},
        B_GOLD: {B_GOLD: select(gold)},
        B_MODEL: {B_MODEL: multi(model)},
        B_REASON: {B_REASON: select(reason)},
        B_SECTION: {
            B_SECTION: {"type": "external_select", "selected_option": _option(section) if section else None}
        },
        B_COMMENT: {B_COMMENT: text(comment)},
    }


def submission(
    values: dict[str, Any], metadata: str = "", *, view_id: str = "V900", view_hash: str = "1.a"
) -> str:
    """A signed-ready view_submission body of the flag modal."""
    return view_submission_body(CALLBACK, values, metadata, view_id=view_id, view_extra={"hash": view_hash})


def _message(text: str) -> dict[str, Any]:
    return {"type": "message", "user": "U222", "ts": MESSAGE_TS, "text": text}


def test_shortcut_prefills_then_submit_stores_one_flag_even_when_replayed(bot: Bot) -> None:
    status, _, _ = bot.slack.shortcut(SHORTCUT, message=_message("is item:rev-42 really Positive?"))
    assert status == 200
    view = opened_view(bot.fake)
    assert bot.fake.calls("views.open")[0].params["trigger_id"]
    assert block(view, B_ITEM)["element"]["initial_value"] == "rev-42"
    # One project: preselected, so its labels and reasons are offered at once.
    assert block(view, B_PROJECT)["element"]["initial_option"]["value"] == "reviews"
    labels = [o["value"] for o in block(view, B_MY_LABEL)["element"]["options"]]
    assert labels == ["Positive", "Negative", "Neutral", "Mixed"]
    assert "label_confusion" in [o["value"] for o in block(view, B_REASON)["element"]["options"]]
    [permalink_call] = bot.fake.calls("chat.getPermalink")
    assert permalink_call.params["message_ts"] == MESSAGE_TS
    meta = json.loads(view["private_metadata"])
    assert meta["c"] == "C111" and meta["t"] == MESSAGE_TS and meta["p"].startswith("https://")

    body = submission(state(), view["private_metadata"])
    status, _, answer = bot.slack.send(body)
    assert status == 200 and answer == ""  # closes the modal
    [confirmation] = bot.fake.wait_for("chat.postEphemeral")
    assert confirmation.params["user"] == USER_ID and confirmation.params["channel"] == "C111"
    [flag] = stored_flags(bot.engine)
    assert (flag.project, flag.item_id, flag.my_label) == ("reviews", "rev-42", "Negative")
    assert (flag.guideline, flag.version, flag.anchor) == ("product-sentiment", "1.1.0", "sarcasm")
    assert [(o.label, o.source) for o in flag.other_labels] == [("Positive", "annotator")]
    assert flag.reason == "label_confusion" and flag.filed_by == USER_ID
    assert flag.permalink == meta["p"] and flag.channel == "C111" and flag.thread_ts == MESSAGE_TS

    # Slack delivers the same submission again (a retry: new timestamp, so a new signature).
    status, _, _ = bot.slack.send(body, timestamp=int(time.time()) - 7)
    assert status == 200
    # And the very same signed request again.
    bot.slack.send(body)
    time.sleep(0.5)  # the background work of both deliveries
    assert flag_count(bot.engine) == 1
    assert len(bot.fake.calls("chat.postEphemeral")) == 1


def test_a_second_flag_on_the_item_joins_its_case(bot: Bot) -> None:
    bot.slack.send(submission(state(), view_id="V1"))
    bot.fake.wait_for("chat.postMessage")
    bot.slack.send(submission(state(my_label="Mixed"), view_id="V2"))
    second = bot.fake.wait_for("chat.postMessage", count=2)[1]
    assert "joined the item" in json.dumps(second.param_json("blocks"))
    first, other = stored_flags(bot.engine)
    assert first.case_id == other.case_id


def test_flag_command_with_an_item_prefills_it(bot: Bot) -> None:
    status, _, _ = bot.slack.command("/flag", "rev 7/b")
    assert status == 200
    view = opened_view(bot.fake)
    assert block(view, B_ITEM)["element"]["initial_value"] == "rev 7/b"
    bot.slack.command("/flag", "item:help", trigger_id="2.2.x")
    assert block(opened_view(bot.fake, 2), B_ITEM)["element"]["initial_value"] == "help"


def test_flag_command_alone_opens_an_empty_form(bot: Bot) -> None:
    bot.slack.command("/flag")
    view = opened_view(bot.fake)
    assert "initial_value" not in block(view, B_ITEM)["element"]
    assert view["callback_id"] == CALLBACK


def test_help_and_coming_subcommands(bot: Bot) -> None:
    bot.slack.command("/flag", "help", response_url=bot.fake.response_url("help"))
    [help_answer] = bot.fake.wait_for_response("help")
    text = json.dumps(help_answer.params)
    assert "/flag ITEM_ID" in text and "Flag disagreement" in text
    # `queue` and `stats` are answered by their features now (tests/flags_triage, tests/flag_stats);
    # an annotator is told who may see the queue.
    bot.slack.command("/flag", "queue", response_url=bot.fake.response_url("queue"))
    [queue] = bot.fake.wait_for_response("queue")
    assert "may see the flag queue" in json.dumps(queue.params)
    assert bot.fake.calls("views.open") == []


def test_flag_button_on_a_guide_answer_prefills_the_section(bot: Bot) -> None:
    bot.slack.command("/guide", "sarcasm", response_url=bot.fake.response_url("guide"))
    [answer] = bot.fake.wait_for_response("guide")
    values = buttons(answer.params["blocks"], FLAG_FROM_SECTION)
    assert values, "every /guide hit offers a Flag button"
    slug, anchor = json.loads(values[0])["g"], json.loads(values[0])["a"]
    bot.slack.action(FLAG_FROM_SECTION, values[0])
    view = opened_view(bot.fake)
    initial = block(view, B_SECTION)["element"]["initial_option"]
    assert initial["value"] == f"{slug}#{anchor}"
    assert block(view, B_PROJECT)["element"]["initial_option"]["value"] == "reviews"


def test_two_projects_the_channel_chooses_one(make_bot: Any) -> None:
    bot = make_bot(REVIEWS, CONTRACTS)
    bot.slack.command("/flag", channel_id="C222")
    view = opened_view(bot.fake)
    assert block(view, B_PROJECT)["element"]["initial_option"]["value"] == "contracts"
    assert [o["value"] for o in block(view, B_MY_LABEL)["element"]["options"]][:2] == ["PARTY", "DATE"]
    # Elsewhere nothing says which: the labels wait for the choice.
    bot.slack.command("/flag", channel_id="C999", trigger_id="3.3.x")
    view = opened_view(bot.fake, 2)
    assert "initial_option" not in block(view, B_PROJECT)["element"]
    assert not [b for b in view["blocks"] if b.get("block_id") == B_MY_LABEL]


def test_choosing_a_project_updates_the_modal(make_bot: Any) -> None:
    bot = make_bot(REVIEWS, CONTRACTS)
    values = state(project="contracts", my_label=None, annotator=(), reason=None, section=None, comment=None)
    view = {"id": "V77", "hash": "h1", "private_metadata": "", "state": {"values": values}}
    bot.slack.action(B_PROJECT, None, view=view, response_url=None)
    [update] = bot.fake.wait_for("views.update")
    assert update.params["view_id"] == "V77" and update.params["hash"] == "h1"
    new = update.param_json("view")
    assert block(new, B_MY_LABEL)["element"]["options"][0]["value"] == "PARTY"


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"my_label": "Cat"}, B_MY_LABEL),
        ({"annotator": ("Dog",)}, B_ANNOTATOR),
        ({"gold": "Dog"}, B_GOLD),
        ({"model": ("Positive", "Dog")}, B_MODEL),
        ({"item": "x" * 201}, B_ITEM),
        ({"item": ""}, B_ITEM),
        ({"item": None}, B_ITEM),
        ({"my_label": None}, B_MY_LABEL),
        ({"reason": None}, B_REASON),
        ({"reason": "because"}, B_REASON),
        ({"project": "nope"}, B_PROJECT),
        ({"project": None}, B_PROJECT),
        ({"section": "contract-ner#parties"}, B_SECTION),
        ({"section": "no section"}, B_SECTION),
        ({"comment": "x" * 3001}, B_COMMENT),
    ],
)
def test_invalid_submissions_come_back_inline_with_nothing_stored(
    bot: Bot, change: dict[str, Any], where: str
) -> None:
    status, _, answer = bot.slack.send(submission(state(**change)))
    assert status == 200
    reply = json.loads(answer)
    assert reply["response_action"] == "errors"
    assert where in reply["errors"] and reply["errors"][where]
    time.sleep(0.2)
    assert flag_count(bot.engine) == 0
    assert bot.fake.calls("chat.postEphemeral") == [] and bot.fake.calls("chat.postMessage") == []


def test_item_id_of_200_characters_is_fine(bot: Bot) -> None:
    status, _, answer = bot.slack.send(submission(state(item="i" * 200)))
    assert (status, answer) == (200, "")
    bot.fake.wait_for("chat.postMessage")
    assert stored_flags(bot.engine)[0].item_id == "i" * 200


def test_comment_is_stored_verbatim_and_shown_escaped(bot: Bot) -> None:
    comment = "Ping <!channel> and <@U123> about &lt; here"
    bot.slack.send(submission(state(comment=comment)))
    [confirmation] = bot.fake.wait_for("chat.postMessage")
    [flag] = stored_flags(bot.engine)
    assert flag.comment == comment
    sent = json.dumps(confirmation.param_json("blocks")) + confirmation.params.get("text", "")
    assert "<!channel>" not in sent and "<@U123>" not in sent
    assert "&lt;!channel&gt;" in sent and "&lt;@U123&gt;" in sent and "&amp;lt;" in sent


def test_confirmation_goes_by_dm_without_a_channel(bot: Bot) -> None:
    bot.slack.send(submission(state()))  # no metadata: opened where no channel was known
    [dm] = bot.fake.wait_for("chat.postMessage")
    assert dm.params["channel"] == USER_ID
    assert bot.fake.calls("chat.postEphemeral") == []


def test_confirmation_falls_back_to_a_dm_when_the_channel_refuses(bot: Bot) -> None:
    bot.fake.fail_next("chat.postEphemeral", status=200, error="channel_not_found")
    bot.slack.send(submission(state(), json.dumps({"r": "C404"})))
    [dm] = bot.fake.wait_for("chat.postMessage")
    assert dm.params["channel"] == USER_ID
    assert flag_count(bot.engine) == 1


def test_options_answer_sections_of_the_project_guideline(bot: Bot) -> None:
    from tests.support.slackreq import options_body

    status, _, answer = bot.slack.send(options_body(B_SECTION, "sarcasm"))
    assert status == 200
    options = json.loads(answer)["options"]
    values = [o["value"] for o in options]
    assert "product-sentiment#sarcasm" in values
    assert all(v.startswith("product-sentiment#") for v in values)
    assert all(len(o["text"]["text"]) <= 75 and len(o["value"]) <= 150 for o in options)
    assert len(options) <= 100
    status, _, answer = bot.slack.send(options_body(B_SECTION, "s"))
    assert json.loads(answer)["options"] == []


def test_unsigned_requests_do_nothing(bot: Bot) -> None:
    from tests.support.slackreq import post, sign

    body = submission(state())
    status, _, _ = post(bot.slack.url, body, {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 401
    status, _, _ = post(bot.slack.url, body, sign("not-the-secret", body))
    assert status == 401
    shortcut = view_submission_body(SHORTCUT, {})
    status, _, _ = post(bot.slack.url, shortcut, sign("not-the-secret", shortcut))
    assert status == 401
    time.sleep(0.2)
    assert flag_count(bot.engine) == 0
    assert bot.fake.calls("views.open") == [] and bot.fake.calls("chat.postEphemeral") == []


def test_no_project_configured_is_explained(make_bot: Any) -> None:
    bot = make_bot()
    bot.slack.command("/flag", response_url=bot.fake.response_url("none"))
    [answer] = bot.fake.wait_for_response("none")
    assert "no project is configured" in json.dumps(answer.params)
    assert bot.fake.calls("views.open") == []
