"""`/guide` message builders: structure, limits, escaping and button references."""

from __future__ import annotations

import re
from typing import Any

from bot.slack.blocks import kit
from bot.slack.blocks import section_link as link
from bot.slack.blocks.flag_link import FLAG_FROM_SECTION
from bot.slack.blocks.mrkdwn import escape, markdown_to_mrkdwn
from bot.slack.guide import builder as gb
from guidelines.model import HL_END, HL_START, GuidelineDiff, SearchHit, SectionDiff
from tests.support.blockkit import EVIL, assert_no_injection, texts, validate_message


def buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    return found + [b["accessory"] for b in blocks if "accessory" in b]


def normalized(text: str) -> str:
    return re.sub(r"\s+", "", text.replace("```", ""))


def hit(n: int = 0, *, version: str = "1.1.0", current: str = "1.1.0", text: str = "sarcasm") -> SearchHit:
    return SearchHit(
        guideline="sentiment",
        guideline_title=f"Sentiment {text}",
        version=version,
        current_version=current,
        anchor=f"rule-{n}",
        title=f"Rule {n} {text}",
        path=("Rules", f"Rule {n} {text}"),
        snippet=f"when {HL_START}{text}{HL_END} is meant, label NEG ({n})",
        score=1.0 / (n + 1),
    )


# --- search results ----------------------------------------------------------------------------


def test_search_results_structure() -> None:
    hits = [hit(0), hit(1, version="1.0.0", current="1.1.0")]
    blocks = gb.search_results_blocks("sarcasm", hits, pinned=None, total=2)
    validate_message(blocks)
    assert blocks[0] == kit.header("Guideline answers")
    found = buttons(blocks)
    # Each hit: Show section, Share in channel, and Flag (a disagreement about the section).
    assert [b["action_id"] for b in found] == [
        link.GUIDE_SHOW_SECTION,
        link.GUIDE_SHARE_SECTION,
        FLAG_FROM_SECTION,
    ] * 2
    assert link.parse_section_ref(found[0]["value"]) == ("sentiment", "1.1.0", "rule-0")
    assert link.parse_section_ref(found[2]["value"]) == ("sentiment", "1.1.0", "rule-0")
    assert link.parse_section_ref(found[3]["value"]) == ("sentiment", "1.0.0", "rule-1")
    all_text = "\n".join(t for _, t in texts(blocks))
    assert "*sarcasm*" in all_text  # highlight became bold
    assert "`v1.1.0`" in all_text and "`#rule-0`" in all_text and "Rules › Rule 0 sarcasm" in all_text
    assert all_text.count("current is") == 1
    assert "from `v1.0.0` — current is `v1.1.0`" in all_text
    assert "more result" not in all_text


def test_search_results_pinned_and_more() -> None:
    blocks = gb.search_results_blocks("q", [hit(0)], pinned="1.0.0", total=7)
    validate_message(blocks)
    all_text = "\n".join(t for _, t in texts(blocks))
    assert "pinned to `v1.0.0`" in all_text
    assert "6 more results" in all_text


def test_search_results_never_exceed_one_message() -> None:
    hits = [hit(i, version="1.0.0", current="2.0.0") for i in range(40)]
    blocks = gb.search_results_blocks("q", hits, pinned=None, total=123)
    validate_message(blocks)
    shown = len(buttons(blocks)) // 3  # Show section, Share in channel, Flag
    assert 0 < shown <= gb.MAX_HITS_SHOWN
    assert f"{123 - shown} more results" in "\n".join(t for _, t in texts(blocks))


def test_search_results_with_huge_snippets_still_fit() -> None:
    hits = [hit(i, text="word " * 1500) for i in range(10)]
    blocks = gb.search_results_blocks("q", hits, pinned=None, total=10)
    validate_message(blocks)
    assert "more result" in "\n".join(t for _, t in texts(blocks))


def test_search_results_escape_query_titles_and_snippets() -> None:
    evil = SearchHit(
        guideline="g",
        guideline_title=EVIL,
        version="1<2",
        current_version="2&3",
        anchor="a<@U123>",
        title=EVIL,
        path=(EVIL, EVIL),
        snippet=f"{EVIL} {HL_START}{EVIL}{HL_END}",
        score=1.0,
    )
    blocks = gb.search_results_blocks(EVIL, [evil], pinned="<!here>", total=1)
    validate_message(blocks)
    assert_no_injection(blocks)


def test_a_pasted_item_hit_says_which_cues_it_matched_escaped() -> None:
    import dataclasses

    cued = dataclasses.replace(hit(1), cues=("percent", "currency", EVIL))
    blocks = gb.search_results_blocks(
        "20% and $5", [cued, *(hit(n) for n in range(2, 12))], pinned=None, total=11
    )
    validate_message(blocks)
    assert_no_injection(blocks)
    shown = "\n".join(t for _, t in texts(blocks))
    assert "matched on: a percentage, a currency amount" in shown
    assert shown.count("matched on") == 1  # only the hit that matched on cues


def test_search_results_empty_and_long_query() -> None:
    blocks = gb.search_results_blocks("x " * 20_000, [], pinned=None, total=0)
    validate_message(blocks)
    assert "Nothing" in "\n".join(t for _, t in texts(blocks))


# --- no match ----------------------------------------------------------------------------------


def test_no_match_offers_suggestions_as_buttons() -> None:
    suggestions = [("sentiment", "1.1.0", f"a{i}", f"Title {i}") for i in range(3)]
    blocks = gb.no_match_blocks("zebra", suggestions)
    validate_message(blocks)
    found = buttons(blocks)
    assert [b["action_id"] for b in found] == [link.GUIDE_SHOW_SECTION] * 3
    assert [link.parse_section_ref(b["value"]) for b in found] == [s[:3] for s in suggestions]
    assert "zebra" in blocks[0]["text"]["text"]
    assert gb.no_match_blocks("zebra", []) == blocks[:1]


def test_no_match_escapes_and_stays_within_limits() -> None:
    suggestions = [("g", "1", f"a{i}", EVIL + " long" * 1000) for i in range(40)]
    blocks = gb.no_match_blocks(EVIL, suggestions)
    validate_message(blocks)
    assert_no_injection(blocks)


# --- one section -------------------------------------------------------------------------------


LONG_BODY = "\n\n".join(
    [
        "Intro with **bold**, a [link](https://ex.com/a?b=1&c=2) and <!channel> & <@U123>.",
        *[f"Paragraph {i}: " + "annotators label the *target* span & context. " * 30 for i in range(10)],
        "```\n" + "\n".join(f"example {i}: <span> & {'{'}...{'}'}" for i in range(150)) + "\n```",
        "\n".join(f"- item {i} with <!here> inside" for i in range(80)),
        "| Label | Meaning |\n|---|---|\n" + "\n".join(f"| L{i} | meaning & <b>{i}</b> |" for i in range(60)),
        *[f"> quoted rule {i} " + "be consistent. " * 40 for i in range(6)],
    ]
)


def test_long_section_is_split_without_loss() -> None:
    assert len(LONG_BODY) >= 20_000
    blocks = gb.section_blocks(
        "Sentiment", "sentiment", "1.0.0", "1.1.0", ("Rules", "Sarcasm"), "sarcasm", LONG_BODY
    )
    assert blocks[0]["type"] == "header" and blocks[0]["text"]["text"] == "Sarcasm"
    assert blocks[1]["type"] == "context"
    meta = blocks[1]["elements"][0]["text"]
    assert "`sentiment@1.0.0`" in meta and "`#sarcasm`" in meta and "current is `v1.1.0`" in meta
    body_blocks = blocks[2:]
    assert len(body_blocks) >= 7 and {b["type"] for b in body_blocks} == {"section"}
    rebuilt = "".join(b["text"]["text"] for b in body_blocks)
    assert normalized(rebuilt) == normalized(markdown_to_mrkdwn(LONG_BODY))
    assert_no_injection(blocks)
    pages = kit.paginate(blocks)
    assert [b for p in pages for b in p] == blocks
    for page in pages:
        validate_message(page)


def test_very_long_section_needs_pagination() -> None:
    body = "\n\n".join(["word " * 580] * 80)
    blocks = gb.section_blocks("G", "g", "1", "1", ("T",), "t", body)
    assert len(blocks) > kit.MAX_BLOCKS_PER_MESSAGE
    pages = kit.paginate(blocks)
    assert len(pages) >= 2
    for page in pages:
        validate_message(page)


def test_shared_by_builds_a_mention_only_for_a_user_id() -> None:
    def meta(shared_by: str) -> str:
        blocks = gb.section_blocks("G", "g", "1", "1", ("T",), "t", "body", shared_by=shared_by)
        assert_no_injection(blocks, allowed_mentions=("<@U0ABC12>", "<@W0XYZ>"))
        return blocks[1]["elements"][0]["text"]

    assert "Shared by <@U0ABC12>" in meta("U0ABC12")
    assert "Shared by <@W0XYZ>" in meta("W0XYZ")
    assert "Shared by &lt;!channel&gt;" in meta("<!channel>")
    for bad in ("U1", "u0abc12", "U0ABC12\n", "U0ABC12>", "!here", "C0ABC12", "U0ABC12|x"):
        assert "<@" not in meta(bad)


def test_section_escapes_titles_and_long_title_is_not_lost() -> None:
    title = EVIL + " very long title" * 20
    blocks = gb.section_blocks(EVIL, "g", "1", "1", (EVIL, title), "t", f"# {EVIL}\n\n{EVIL}")
    validate_message(blocks)
    assert_no_injection(blocks)
    assert blocks[0]["text"]["text"].endswith("…")
    assert blocks[1]["type"] == "section" and (" very long title" * 20).strip() in blocks[1]["text"]["text"]


def test_empty_section_body_says_so() -> None:
    blocks = gb.section_blocks("G", "g", "1", "1", ("T",), "t", "  ")
    validate_message(blocks)
    assert "No text" in blocks[-1]["elements"][0]["text"]


# --- diff --------------------------------------------------------------------------------------


def test_diff_summary_entries_and_escaping() -> None:
    diff = GuidelineDiff(
        guideline="sentiment",
        old_version="1.0.0",
        new_version="1.1.0",
        entries=(
            SectionDiff("new-rule", "added", None, "New & <rule>"),
            SectionDiff("old-rule", "removed", "Old <!here>", None),
            SectionDiff("sarcasm", "changed", "Sarcasm", "Sarcasm", "-a <!channel>\n+b <@U123> & ```"),
            SectionDiff("irony", "renamed", "Irony", "Irony & sarcasm", "@@ -1 +1 @@\n-x\n+y"),
        ),
        meta_changes=("labels: +Mixed <!everyone>",),
    )
    blocks = gb.diff_blocks(diff)
    validate_message(blocks)
    assert_no_injection(blocks)
    all_text = "\n".join(t for _, t in texts(blocks))
    assert "*1* added · *1* removed · *1* changed · *1* renamed" in all_text
    assert "Irony → Irony &amp; sarcasm" in all_text
    assert "```\n-a &lt;!channel&gt;\n+b &lt;@U123&gt; &amp; ``\u200b`\n```" in all_text
    assert "labels: +Mixed &lt;!everyone&gt;" in all_text


def test_long_diff_is_split_and_paginated_without_loss() -> None:
    lines = "\n".join(f"-old line {i} <x>\n+new line {i} & y" for i in range(2000))
    diff = GuidelineDiff("g", "1", "2", (SectionDiff("a", "changed", "A", "A", lines),))
    blocks = gb.diff_blocks(diff)
    code = [
        b["text"]["text"] for b in blocks if b["type"] == "section" and b["text"]["text"].startswith("```")
    ]
    assert len(code) > 10
    assert all(c.count("```") == 2 for c in code)
    assert normalized("".join(code)) == normalized(escape(lines))
    for page in kit.paginate(blocks):
        validate_message(page)


def test_empty_diff() -> None:
    blocks = gb.diff_blocks(GuidelineDiff("g", "1", "2"))
    validate_message(blocks)
    assert "No differences" in blocks[-1]["text"]["text"]


# --- help ------------------------------------------------------------------------------------------


def test_help_lists_every_command() -> None:
    blocks = gb.help_blocks()
    validate_message(blocks)
    all_text = "\n".join(t for _, t in texts(blocks))
    for usage in ("/guide QUERY", "/guide QUERY @1.0.0", "/guide diff SLUG V1 V2", "/guide help", "@annobot"):
        assert usage in all_text
