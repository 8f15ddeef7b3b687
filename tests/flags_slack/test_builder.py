"""The flag modal, its options and the confirmation: Slack's limits and escaping by construction (pure)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from slack_sdk.models.views import View

from bot.slack.blocks import kit
from bot.slack.flags import builder as fb
from bot.slack.flags.form import draft_from_view
from guidelines.model import SearchHit
from reports.flags.draft import FlagDraft, candidates, explicit_item, parse_section_value
from tests.support.blockkit import EVIL, assert_no_injection, validate_blocks, validate_message


def validate_view(view: dict[str, Any]) -> None:
    """A modal Slack accepts: slack_sdk's View checks plus each block's, at most 100 blocks, no injection."""
    assert 0 < len(view["blocks"]) <= kit.MAX_BLOCKS_PER_VIEW
    View(**view).to_dict()
    validate_blocks(view["blocks"])
    assert_no_injection(view["blocks"])
    for element in _elements(view["blocks"]):
        for option in element.get("options", []):
            assert len(option["text"]["text"]) <= kit.OPTION_TEXT_MAX
            assert 0 < len(option["value"]) <= kit.OPTION_VALUE_MAX
        assert len(element.get("options", [])) <= kit.SELECT_OPTIONS_MAX
        if "initial_option" in element and "options" in element:
            assert element["initial_option"] in element["options"]
        if "initial_value" in element:
            assert len(element["initial_value"]) <= element["max_length"]
    assert len(view.get("private_metadata", "")) <= kit.PRIVATE_METADATA_MAX


def _elements(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [b["element"] for b in blocks if b["type"] == "input"]


def _form(**kw: Any) -> fb.FormView:
    base: dict[str, Any] = {
        "draft": FlagDraft(project="reviews"),
        "projects": ("reviews",),
        "labels": ("Positive", "Negative"),
        "reasons": (("other", "Other"),),
    }
    return fb.FormView(**{**base, **kw})


def test_everything_escaped_and_within_limits() -> None:
    draft = FlagDraft(
        project=EVIL,
        item_id=EVIL,
        my_label=EVIL,
        annotator_labels=(EVIL,),
        reason="r",
        section=f"g#{EVIL}",
        comment=EVIL,
        permalink="https://acme.slack.com/archives/C1/p1",
    )
    item = fb.ShownItem(EVIL * 500, "https://x.test/<!here>", (fb.ShownLabel("annotator", EVIL, EVIL),))
    view = fb.flag_modal(
        fb.FormView(
            draft=draft,
            projects=(EVIL, "x" * 300),
            labels=(EVIL, "y" * 151, "ok"),
            reasons=(("r", EVIL),),
            item=item,
            section_title=EVIL * 10,
            notes=(EVIL,),
        )
    )
    validate_view(view)
    # A label too long for an option value is not offered; the others are.
    my = next(b for b in view["blocks"] if b.get("block_id") == fb.B_MY_LABEL)["element"]
    assert [o["value"] for o in my["options"]] == [EVIL, "ok"]
    assert my["initial_option"]["value"] == EVIL


def test_a_big_label_set_is_searched_not_listed() -> None:
    labels = tuple(f"label {n}" for n in range(250))
    view = fb.flag_modal(_form(labels=labels, draft=FlagDraft(project="reviews", my_label="label 7")))
    validate_view(view)
    my = next(b for b in view["blocks"] if b.get("block_id") == fb.B_MY_LABEL)["element"]
    assert my["type"] == "external_select" and my["initial_option"]["value"] == "label 7"
    found = fb.label_options(labels, "label 1")
    assert 0 < len(found) <= 100 and all("label 1" in o["value"] for o in found)


def test_no_project_yet_shows_no_label_inputs() -> None:
    view = fb.flag_modal(_form(draft=FlagDraft(), projects=("a", "b"), labels=None))
    validate_view(view)
    ids = {b.get("block_id") for b in view["blocks"]}
    assert fb.B_PROJECT in ids and fb.B_MY_LABEL not in ids and fb.B_REASON not in ids


def test_the_view_reads_back_as_its_draft() -> None:
    draft = FlagDraft(
        project="reviews", reason="other", permalink="https://x.test/p", channel="C1", thread_ts="1.2"
    )
    view = fb.flag_modal(_form(draft=draft))
    # Slack sends the metadata back untouched.
    back = draft_from_view({"private_metadata": view["private_metadata"], "state": {"values": {}}})
    assert (back.permalink, back.channel, back.thread_ts) == ("https://x.test/p", "C1", "1.2")


def test_draft_from_anything_never_raises() -> None:
    for junk in (
        None,
        1,
        "x",
        [],
        {"state": 3},
        {"state": {"values": {"flag_project": "x"}}},
        {"private_metadata": "{not json"},
        {"private_metadata": "[1]"},
        {"state": {"values": {fb.B_ANNOTATOR: {fb.B_ANNOTATOR: {"selected_options": [1, {"value": 2}]}}}}},
    ):
        assert isinstance(draft_from_view(junk), FlagDraft)


def test_section_options_skip_what_cannot_be_a_value() -> None:
    def hit(anchor: str) -> SearchHit:
        return SearchHit("g", "G", "1.0.0", "1.0.0", anchor, EVIL, (EVIL, "Rules"), "", 1.0)

    options = fb.section_options([hit("ok"), hit("a" * 200)] + [hit(f"s{i}") for i in range(150)])
    assert [o["value"] for o in options][:1] == ["g#ok"] and len(options) == 100
    assert_no_injection(
        [{"type": "section", "text": {"type": "plain_text", "text": o["text"]["text"]}} for o in options]
    )


def test_confirmation_escapes_every_text() -> None:
    summary = fb.FiledSummary(
        flag_id=1,
        case_id=2,
        joined_existing=False,
        project=EVIL,
        item_id=EVIL + "`",
        my_label=EVIL,
        others=(("gold", EVIL),),
        reason=EVIL,
        guideline="g",
        version="1.0.0",
        anchor=EVIL,
        section_title=EVIL,
        comment=(EVIL + "\n") * 400,
        permalink="https://acme.slack.com/archives/C1/p1",
    )
    blocks = fb.filed_blocks(summary)
    validate_message(blocks)
    assert_no_injection(blocks)
    assert "more characters)" in str(blocks)


def test_item_ids_in_a_message() -> None:
    assert explicit_item("see item:rev-42. thanks") == "rev-42"
    assert explicit_item("ITEM=abc") == "abc"
    assert explicit_item("no id here, nor in lineitem:x") is None
    assert candidates("look at https://ls.test/projects/3/data?task=981 ok", ())[0] == "981"
    assert candidates("words", ("https://ls.test/tasks/77",))[0] == "77"
    assert candidates("img-42, is it (cat)?") == ("img-42", "is", "it", "cat")
    assert len(candidates(" ".join(f"w{i}" for i in range(500)))) == 50
    assert parse_section_value("g#a#b") == ("g", "a#b") and parse_section_value("nope") is None


@settings(max_examples=60, deadline=None)
@given(text=st.text(max_size=300), labels=st.lists(st.text(max_size=200), max_size=120))
def test_any_text_makes_a_valid_modal(text: str, labels: list[str]) -> None:
    draft = FlagDraft(
        project=text,
        item_id=text,
        my_label=text,
        annotator_labels=(text,),
        reason=text,
        section=text,
        comment=text,
        permalink=text,
        channel=text[:60],
        thread_ts=text[:30],
    )
    view = fb.flag_modal(
        fb.FormView(
            draft=draft,
            projects=(text or "p",),
            labels=tuple(labels),
            reasons=((text[:40] or "r", text[:75] or "R"),),
            item=fb.ShownItem(text, text, (fb.ShownLabel("gold", text),)),
            section_title=text or None,
            notes=(text,),
        )
    )
    validate_view(view)
