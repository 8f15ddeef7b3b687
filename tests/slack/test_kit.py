"""Block Kit builders at every limit, checked against slack_sdk's models as the oracle."""

from __future__ import annotations

import random
import re
from typing import Any

import pytest
from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block as SdkBlock
from slack_sdk.models.views import View

from bot.slack.blocks import kit
from bot.slack.blocks.kit import BlockLimitError
from bot.slack.blocks.mrkdwn import escape
from tests.support.blockkit import EVIL, assert_no_injection, validate_message
from tests.support.blockkit import validate_block as validate


def normalized(text: str) -> str:
    """Text modulo whitespace and fence markers: what a split may change."""
    return re.sub(r"\s+", "", text.replace("```", ""))


# --- the oracle itself rejects one-over ---------------------------------------------------------


@pytest.mark.parametrize(
    "block",
    [
        {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}},
        {"type": "header", "text": {"type": "plain_text", "text": "x" * 151}},
        {
            "type": "actions",
            "elements": [{"type": "button", "text": {"type": "plain_text", "text": "x" * 76}}],
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "x"}] * 11},
    ],
)
def test_oracle_rejects_one_over(block: dict[str, Any]) -> None:
    with pytest.raises(SlackObjectFormationError):
        SdkBlock.parse(block).to_dict()


# --- header ------------------------------------------------------------------------------------


def test_header_at_limit_is_kept_whole() -> None:
    block = kit.header("x" * 150)
    validate(block)
    assert block["text"]["text"] == "x" * 150


def test_header_one_over_is_cut_at_a_word_with_ellipsis() -> None:
    text = ("word " * 40)[:151]
    block = kit.header(text)
    validate(block)
    out = block["text"]["text"]
    assert len(out) <= 150 and out.endswith("…")
    assert out[:-1] == out[:-1].rstrip() and text.startswith(out[:-1])
    assert not out[:-1].endswith("wor")  # no half word


def test_header_counts_escaped_length_and_never_splits_an_entity() -> None:
    assert kit.header("&" * 30)["text"]["text"] == "&amp;" * 30  # exactly 150
    out = kit.header("&" * 31)["text"]["text"]
    assert len(out) <= 150 and re.fullmatch(r"(&amp;)+…", out)
    assert kit.header("<!channel> & co")["text"]["text"] == "&lt;!channel&gt; &amp; co"


def test_header_hard_cut_when_one_long_word() -> None:
    out = kit.header("y" * 400)["text"]["text"]
    assert out == "y" * 149 + "…"


def test_heading_adds_full_text_when_shortened() -> None:
    assert len(kit.heading("short")) == 1
    long_title = "Sarcasm " * 30
    blocks = kit.heading(long_title)
    assert [b["type"] for b in blocks] == ["header", "section"]
    assert blocks[1]["text"]["text"] == f"*{long_title.strip()}*"
    for b in blocks:
        validate(b)


def test_header_rejects_empty() -> None:
    with pytest.raises(ValueError):
        kit.header("   ")


# --- sections ----------------------------------------------------------------------------------


def test_section_text_at_limit_is_one_block() -> None:
    blocks = kit.sections("x" * 3000)
    assert len(blocks) == 1 and blocks[0]["text"]["text"] == "x" * 3000
    validate(blocks[0])


def test_section_text_one_over_splits_without_loss() -> None:
    text = "word " * 600 + "x"  # 3001 characters
    assert len(text) == 3001
    blocks = kit.sections(text)
    assert len(blocks) == 2
    for b in blocks:
        validate(b)
    assert normalized("".join(b["text"]["text"] for b in blocks)) == normalized(text)


def test_single_section_raises_over_limit() -> None:
    kit.section("x" * 3000)
    with pytest.raises(BlockLimitError):
        kit.section("x" * 3001)


def test_sections_of_empty_text_is_nothing() -> None:
    assert kit.sections("") == [] and kit.sections(" \n\n ") == []


def test_split_prefers_paragraphs_then_lines_then_words() -> None:
    para = "a" * 2000 + "\n\n" + "b" * 2000
    assert kit.split_mrkdwn(para) == ["a" * 2000, "b" * 2000]
    lines = "a" * 2000 + "\n" + "b" * 2000
    assert kit.split_mrkdwn(lines) == ["a" * 2000, "b" * 2000]
    words = "a" * 2000 + " " + "b" * 2000
    assert kit.split_mrkdwn(words) == ["a" * 2000, "b" * 2000]


def test_split_never_cuts_links_or_entities() -> None:
    link = "<https://example.com/some/long/path?q=1&amp;r=2|a label with spaces>"
    text = " ".join([link, "&amp;", "&lt;", "word"] * 200)
    pieces = kit.split_mrkdwn(text, 500)
    assert len(pieces) > 5
    for piece in pieces:
        assert len(piece) <= 500
        assert piece.count("<") == piece.count(">") == len(re.findall(r"<[^<>]*>", piece))
        assert not re.search(r"&[a-z#0-9]*$", piece) and not re.match(r"^[a-z#0-9]*;", piece)
    assert normalized("".join(pieces)) == normalized(text)


def test_split_closes_and_reopens_code_fences() -> None:
    code = "\n".join(f"line {i} <x> &amp; y" for i in range(400))
    text = f"Intro paragraph.\n\n```\n{code}\n```\n\nOutro."
    pieces = kit.split_mrkdwn(text)
    assert len(pieces) >= 3
    for piece in pieces:
        assert len(piece) <= kit.SECTION_TEXT_MAX
        assert piece.count("```") % 2 == 0, piece[:80]
    assert pieces[1].startswith("```\n")
    assert normalized("".join(pieces)) == normalized(text)


def test_twenty_thousand_characters_lose_nothing() -> None:
    rng = random.Random(7)
    words = ["label", "*bold*", "_it_", "&amp;", "&lt;tag&gt;", "<https://ex.com/a|link text>", "`code`"]
    paragraphs = []
    while sum(len(p) for p in paragraphs) < 20_000:
        kind = rng.random()
        if kind < 0.15:
            body = "\n".join(" ".join(rng.choices(words, k=8)) for _ in range(rng.randint(5, 60)))
            paragraphs.append(f"```\n{body}\n```")
        elif kind < 0.3:
            paragraphs.append("\n".join(f"• {' '.join(rng.choices(words, k=6))}" for _ in range(10)))
        else:
            paragraphs.append(" ".join(rng.choices(words, k=rng.randint(5, 400))))
    text = "\n\n".join(paragraphs)
    assert len(text) >= 20_000
    blocks = kit.sections(text)
    assert len(blocks) >= 7
    for b in blocks:
        validate(b)
        assert b["text"]["text"].count("```") % 2 == 0
    assert normalized("".join(b["text"]["text"] for b in blocks)) == normalized(text)


@pytest.mark.parametrize("seed", range(20))
def test_split_invariants_on_random_text(seed: int) -> None:
    rng = random.Random(seed)
    alphabet = ["a", "bb", " ", "\n", "\n\n", "&amp;", "<https://x|y z>", "```", "x" * 50]
    text = "".join(rng.choices(alphabet, k=rng.randint(100, 3000)))
    limit = rng.choice([100, 250, 3000])
    pieces = kit.split_mrkdwn(text, limit)
    assert all(0 < len(p) <= limit for p in pieces)
    assert normalized("".join(pieces)) == normalized(text)


# --- buttons and actions -----------------------------------------------------------------------


def test_button_text_at_and_over_limit() -> None:
    at = kit.button("b" * 75, "act", "v")
    assert at["text"]["text"] == "b" * 75
    over = kit.button("b" * 76, "act", "v")
    assert len(over["text"]["text"]) == 75 and over["text"]["text"].endswith("…")
    for element in (at, over):
        validate({"type": "actions", "elements": [element]})


def test_button_value_and_ids_over_limit_raise() -> None:
    validate({"type": "actions", "elements": [kit.button("ok", "a" * 255, "v" * 2000, url="https://x")]})
    with pytest.raises(ValueError):
        kit.button("ok", "act", "v" * 2001)
    with pytest.raises(ValueError):
        kit.button("ok", "a" * 256, "v")
    with pytest.raises(ValueError):
        kit.button("ok", "act", "v", style="loud")


def test_button_escapes_label() -> None:
    assert kit.button("<!here> & go", "a", None)["text"]["text"] == "&lt;!here&gt; &amp; go"


def buttons(n: int) -> list[dict[str, Any]]:
    return [kit.button(f"b{i}", f"act_{i}", str(i)) for i in range(n)]


def test_actions_at_and_over_element_limit() -> None:
    one = kit.actions(buttons(25), block_id="pick")
    assert len(one) == 1 and one[0]["block_id"] == "pick"
    two = kit.actions(buttons(26), block_id="pick")
    assert [len(b["elements"]) for b in two] == [25, 1]
    assert [b["block_id"] for b in two] == ["pick", "pick-2"]
    validate_message(one)
    validate_message(two)
    assert kit.actions([]) == []


def test_actions_reject_duplicate_action_ids_in_a_block() -> None:
    with pytest.raises(ValueError):
        kit.actions([kit.button("a", "same", "1"), kit.button("b", "same", "2")])


# --- context and note --------------------------------------------------------------------------


def test_context_element_limit() -> None:
    validate(kit.context(["x"] * 10))
    with pytest.raises(BlockLimitError):
        kit.context(["x"] * 11)
    with pytest.raises(BlockLimitError):
        kit.context(["x" * 3001])


def test_note_falls_back_to_sections_instead_of_cutting() -> None:
    assert [b["type"] for b in kit.note("small")] == ["context"]
    long = "word " * 1000
    blocks = kit.note(long)
    assert {b["type"] for b in blocks} == {"section"}
    assert normalized("".join(b["text"]["text"] for b in blocks)) == normalized(long)
    assert kit.note("") == []


# --- modal -------------------------------------------------------------------------------------


def test_modal_title_submit_close_at_and_over_limit() -> None:
    at = kit.modal("t" * 24, [kit.divider()], submit="s" * 24, close="c" * 24)
    View(**at).to_dict()
    assert at["title"]["text"] == "t" * 24
    over = kit.modal("t" * 25, [kit.divider()], submit="s" * 25, close="c" * 25, private_metadata="m" * 3000)
    View(**over).to_dict()
    for key in ("title", "submit", "close"):
        assert len(over[key]["text"]) == 24 and over[key]["text"].endswith("…")


def test_modal_block_count_at_and_over_limit() -> None:
    View(**kit.modal("ok", [kit.divider()] * 100)).to_dict()
    with pytest.raises(SlackObjectFormationError):  # the oracle agrees 101 is too many
        View(type="modal", title="ok", blocks=[kit.divider()] * 101).to_dict()
    with pytest.raises(BlockLimitError):
        kit.modal("ok", [kit.divider()] * 101)
    with pytest.raises(BlockLimitError):
        kit.modal("ok", [])
    with pytest.raises(BlockLimitError):
        kit.modal("ok", [kit.divider()], private_metadata="m" * 3001)


# --- paginate ----------------------------------------------------------------------------------


def test_paginate_at_and_over_message_limit() -> None:
    blocks = [kit.section(f"s{i}") for i in range(50)]
    assert kit.paginate(blocks) == [blocks]
    pages = kit.paginate([*blocks, kit.section("s50")])
    assert [len(p) for p in pages] == [50, 1]
    for page in pages:
        validate_message(page)


def test_paginate_keeps_units_together() -> None:
    # Units of header + context + 9 continued sections + divider: 12 blocks each.
    unit = [kit.header("H"), kit.context(["c"]), *[kit.section("x")] * 9, kit.divider()]
    blocks = unit * 9
    pages = kit.paginate(blocks)
    assert [b for p in pages for b in p] == blocks
    for page in pages:
        validate_message(page)
        assert page[0]["type"] == "header"
        assert page[-1]["type"] != "header"


def test_paginate_hard_breaks_one_long_text_by_block_count() -> None:
    blocks = [kit.header("H"), *kit.sections("\n\n".join(["y" * 2900] * 120))]
    pages = kit.paginate(blocks, max_chars=None)
    assert [len(p) for p in pages] == [50, 50, 21]
    assert [b for p in pages for b in p] == blocks


def test_paginate_keeps_each_message_under_the_cumulative_size() -> None:
    blocks = [kit.header("H"), *kit.sections("\n\n".join(["y" * 2900] * 120))]
    assert kit.message_size(blocks[:5]) <= kit.MESSAGE_CHARS_MAX < kit.message_size(blocks[:6])
    pages = kit.paginate(blocks)
    assert len(pages[0]) == 5 and len(pages) == 30
    assert [b for p in pages for b in p] == blocks
    for page in pages:
        validate_message(page)
    # A block bigger than the budget still goes out, alone.
    assert kit.paginate(blocks[1:3], max_chars=100) == [[blocks[1]], [blocks[2]]]


# --- fallback text -----------------------------------------------------------------------------


def test_fallback_text_is_escaped_and_short() -> None:
    assert kit.fallback_text("Guideline answers", "<!channel> & co") == (
        "Guideline answers — &lt;!channel&gt; &amp; co"
    )
    long = kit.fallback_text("z " * 1000)
    assert len(long) <= kit.FALLBACK_TEXT_MAX and long.endswith("…")
    assert escape("<") not in kit.fallback_text("", " ")


# --- error explanations ------------------------------------------------------------------------


def test_error_blocks_escape() -> None:
    blocks = kit.error_blocks(f"no guideline named {EVIL}")
    validate_message(blocks)
    assert_no_injection(blocks)
    assert kit.error_blocks("  ")[0]["text"]["text"].endswith("Something went wrong.")


# --- pages in a modal --------------------------------------------------------------------------


def test_pages_modal_holds_every_block_of_short_pages() -> None:
    pages = [kit.sections("one"), [kit.divider(), *kit.sections("two")]]
    view = kit.pages_modal("Guideline", pages, cut_note="_More elsewhere._")
    assert view["blocks"] == [*pages[0], *pages[1]]
    assert view["close"]["text"] == "Close" and "submit" not in view
    View(**view).validate_json()


def test_pages_modal_cuts_at_100_blocks_with_the_note_last() -> None:
    pages = [[kit.divider()] * 50, [kit.divider()] * 50, [kit.divider()]]
    view = kit.pages_modal("Guideline", pages, cut_note="_More elsewhere._")
    assert len(view["blocks"]) == kit.MAX_BLOCKS_PER_VIEW
    assert view["blocks"][:99] == [kit.divider()] * 99
    assert view["blocks"][-1] == kit.note("_More elsewhere._")[0]
    View(**view).validate_json()
    # Exactly 100 blocks fit: nothing is cut.
    assert kit.pages_modal("G", pages[:2], cut_note="_x_")["blocks"] == [kit.divider()] * 100
