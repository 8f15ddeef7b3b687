"""Block Kit → terminal text: entities, mrkdwn styles, numbered buttons, long sections."""

from __future__ import annotations

import io

from rich.console import Console
from rich.text import Text

from bot.console.render import CODE_STYLE, MENTION_STYLE, Renderer, mrkdwn_to_text, unescape
from bot.slack.blocks import kit
from bot.slack.guide.builder import (
    GUIDE_SHARE_SECTION,
    GUIDE_SHOW_SECTION,
    no_match_blocks,
    search_results_blocks,
    section_blocks,
    section_ref,
)
from guidelines.model import SearchHit


def _plain(renderable: object, width: int = 100) -> str:
    console = Console(file=io.StringIO(), width=width, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def _styles_of(text: Text, fragment: str) -> set[str]:
    start = text.plain.index(fragment)
    end = start + len(fragment)
    return {str(s.style) for s in text.spans if s.start <= start and s.end >= end}


def _hit(anchor: str, title: str) -> SearchHit:
    return SearchHit(
        guideline="product-sentiment",
        guideline_title="Product Review Sentiment",
        version="1.1.0",
        current_version="1.1.0",
        anchor=anchor,
        title=title,
        path=("Edge cases", title),
        snippet=f"about {title.lower()}",
        score=1.0,
    )


def test_entities_are_unescaped_once() -> None:
    assert unescape("a &amp; b &lt;x&gt;") == "a & b <x>"
    # An escaped entity in the source text stays visible as typed.
    assert unescape("&amp;lt;") == "&lt;"
    assert mrkdwn_to_text("Tom &amp; Jerry &lt;3").plain == "Tom & Jerry <3"


def test_escaped_mentions_show_as_text_and_real_ones_as_mentions() -> None:
    escaped = mrkdwn_to_text("say &lt;!channel&gt; or &lt;@U123&gt;")
    assert escaped.plain == "say <!channel> or <@U123>"
    assert not escaped.spans
    real = mrkdwn_to_text("hey <!here> and <@U123> in <#C1|general>")
    assert real.plain == "hey @here and @U123 in #general"
    assert MENTION_STYLE in _styles_of(real, "@here")


def test_mrkdwn_styles_links_and_code() -> None:
    text = mrkdwn_to_text(
        "*bold* _it_ ~gone~ `a &amp; b` <https://x.test/?a=1&amp;b=2|docs> <https://y.test>"
    )
    assert text.plain == "bold it gone a & b docs (https://x.test/?a=1&b=2) https://y.test"
    assert "bold" in _styles_of(text, "bold")
    assert "italic" in _styles_of(text, "it")
    assert "strike" in _styles_of(text, "gone")
    assert CODE_STYLE in _styles_of(text, "a & b")
    # snake_case identifiers and lone asterisks are not formatting.
    assert mrkdwn_to_text("use label_name_here, 2 * 3 * 4").plain == "use label_name_here, 2 * 3 * 4"


def test_code_blocks_are_verbatim() -> None:
    text = mrkdwn_to_text("before\n```\nx = *not bold* &amp; `y`\n```\nafter")
    assert "x = *not bold* & `y`" in text.plain
    assert "before" in text.plain and "after" in text.plain
    assert "bold" not in _styles_of(text, "not bold")


def test_rich_markup_in_text_is_shown_literally() -> None:
    out = _plain(Renderer().message({"blocks": kit.sections("[bold]x[/bold] and [red]")}))
    assert "[bold]x[/bold] and [red]" in out


def test_buttons_become_numbered_choices_in_order() -> None:
    renderer = Renderer()
    hits = [_hit("sarcasm", "Sarcasm and irony"), _hit("emoji", "Emoji & emoticons")]
    blocks = search_results_blocks("sarcasm", hits, pinned=None, total=2)
    out = _plain(renderer.message({"blocks": blocks}))
    assert "[1] Show section  [2] Share in channel  [3] Flag" in out
    assert "[4] Show section  [5] Share in channel  [6] Flag" in out
    assert "Emoji & emoticons" in out and "&amp;" not in out
    assert out.index("Sarcasm and irony") < out.index("[1]") < out.index("Emoji") < out.index("[4]")
    first, second, _, third, _, _ = renderer.choices
    assert (first.action_id, first.value) == (
        GUIDE_SHOW_SECTION,
        section_ref("product-sentiment", "1.1.0", "sarcasm"),
    )
    assert second.action_id == GUIDE_SHARE_SECTION
    assert third.value == section_ref("product-sentiment", "1.1.0", "emoji")
    assert first.message["blocks"] == blocks


def test_accessory_buttons_are_choices() -> None:
    renderer = Renderer()
    blocks = no_match_blocks("zzz", [("product-sentiment", "1.1.0", "sarcasm", "Sarcasm and irony")])
    out = _plain(renderer.message({"blocks": blocks}))
    assert "[1] Show section" in out
    assert renderer.choices[0].value == section_ref("product-sentiment", "1.1.0", "sarcasm")


def test_headers_context_and_dividers() -> None:
    blocks = [kit.header("Q&A <rules>"), kit.divider(), *kit.note("small print")]
    out = _plain(Renderer().message({"blocks": blocks}), width=40)
    lines = out.splitlines()
    assert lines[0] == "Q&A <rules>"
    assert set(lines[1]) == {"─"}
    assert lines[2] == "small print"


def test_long_sections_render_every_page_in_full() -> None:
    paragraphs = [f"Paragraph {i} says *rule {i}* &amp; more " + "word " * 120 for i in range(60)]
    body = "\n\n".join(p.replace("&amp;", "&") for p in paragraphs)
    blocks = section_blocks(
        "Product Review Sentiment",
        "product-sentiment",
        "1.1.0",
        "1.1.0",
        ("Edge cases", "Long"),
        "long",
        body,
    )
    pages = kit.paginate(blocks)
    assert len(pages) > 1
    out = "".join(_plain(Renderer().message({"blocks": page}), width=200) for page in pages)
    flat = " ".join(out.split())
    for i in range(60):
        assert f"Paragraph {i} says rule {i} & more" in flat
    assert flat.count("word") == 60 * 120


def test_fallback_text_when_no_blocks() -> None:
    assert "hello & bye" in _plain(Renderer().message({"text": "hello &amp; bye"}))


def test_quotes_get_a_bar_but_escaped_gt_does_not() -> None:
    text = mrkdwn_to_text("> quoted line\n&gt; typed text")
    assert text.plain == "▌ quoted line\n> typed text"
