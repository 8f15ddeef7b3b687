"""Escaping, snippet highlighting and Markdown → Slack mrkdwn conversion."""

from __future__ import annotations

import re

import pytest

from bot.slack.blocks.mrkdwn import code_safe, escape, link, markdown_to_mrkdwn, safe_url, snippet_to_mrkdwn
from guidelines.model import HL_END, HL_START

INJECTIONS = ["<!channel>", "<!here>", "<!everyone>", "<@U123>", "<!subteam^S0123>", "<https://x|y>"]
# Every `<…>` left in converted output must be a link we built; every `&` an entity.
_ALLOWED_ANGLE = re.compile(r"<(?:https?://|mailto:)[^<>|\s]*(?:\|[^<>]*)?>")
_BARE_AMP = re.compile(r"&(?!amp;|lt;|gt;)")


def assert_safe(mrkdwn: str) -> None:
    """No Slack control sequence in `mrkdwn` except links produced on purpose."""
    leftover = _ALLOWED_ANGLE.sub("", mrkdwn)
    assert "<" not in leftover, mrkdwn
    # `>` is allowed only as a quote marker at line start.
    assert ">" not in re.sub(r"(?m)^>", "", leftover), mrkdwn
    assert not _BARE_AMP.search(mrkdwn), mrkdwn
    for raw in INJECTIONS:
        assert raw not in mrkdwn


# --- escape ------------------------------------------------------------------------------------


def test_escape_replaces_exactly_three_characters() -> None:
    assert escape("a & b < c > d") == "a &amp; b &lt; c &gt; d"
    assert escape("*bold* _it_ ~s~ `c` \"q\" 'q'") == "*bold* _it_ ~s~ `c` \"q\" 'q'"
    # Already-escaped text is escaped again: callers escape raw text exactly once.
    assert escape("&amp;") == "&amp;amp;"


@pytest.mark.parametrize("raw", INJECTIONS)
def test_escape_neutralises_control_sequences(raw: str) -> None:
    out = escape(f"hi {raw} there")
    assert raw not in out
    assert "<" not in out and ">" not in out


def test_safe_url_and_link() -> None:
    assert safe_url("https://x/a|b>c<d e&f") == "https://x/a%7Cb%3Ec%3Cd%20e&amp;f"
    assert link("https://x", "a <b> & |c") == "<https://x|a &lt;b&gt; &amp; |c>"
    assert link("https://x") == "<https://x>"


def test_code_safe_defuses_fences() -> None:
    assert "```" not in code_safe("a ``` b")
    assert code_safe("<&>") == "&lt;&amp;&gt;"


# --- snippets ----------------------------------------------------------------------------------


def test_snippet_markers_become_bold_after_escaping() -> None:
    snippet = f"use {HL_START}sarcasm{HL_END} & <!channel> {HL_START}tags{HL_END}"
    assert snippet_to_mrkdwn(snippet) == "use *sarcasm* &amp; &lt;!channel&gt; *tags*"


def test_snippet_edge_cases() -> None:
    # Whitespace inside a highlight moves outside so Slack still renders the bold.
    assert snippet_to_mrkdwn(f"a{HL_START} b {HL_END}c") == "a *b* c"
    # Empty highlights and stray end markers vanish; an unclosed start runs to the end.
    assert snippet_to_mrkdwn(f"a {HL_START}{HL_END}b{HL_END}") == "a b"
    assert snippet_to_mrkdwn(f"a {HL_START}b c") == "a *b c*"
    assert snippet_to_mrkdwn("line\none\t two") == "line one two"
    out = snippet_to_mrkdwn(f"{HL_START}<@U123>{HL_END}")
    assert out == "*&lt;@U123&gt;*"
    assert HL_START not in out and HL_END not in out


# --- Markdown conversion -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("md", "expected"),
    [
        ("# Title", "*Title*"),
        ("## Rules & **tips**", "*Rules &amp; tips*"),
        ("Setext\n======", "*Setext*"),
        ("**b** and __b__", "*b* and *b*"),
        ("*i* and _i_", "_i_ and _i_"),
        ("~~gone~~", "~gone~"),
        ("** spaced**", "** spaced**"),
        ("`x < y`", "`x &lt; y`"),
        ("```py\nif a < b & c:\n    pass\n```", "```\nif a &lt; b &amp; c:\n    pass\n```"),
        ("    indented code", "```\nindented code\n```"),
        ("[docs](https://ex.com/p?a=1&b=2)", "<https://ex.com/p?a=1&amp;b=2|docs>"),
        ("[a <b> & c](https://ex.com)", "<https://ex.com|a &lt;b&gt; &amp; c>"),
        ("[t](<https://ex.com/a|b>)", "<https://ex.com/a%7Cb|t>"),
        ("[see **sarcasm**](#sarcasm)", "see *sarcasm*"),
        ("[other](other.md#x)", "other"),
        ("[js](javascript:alert(1))", "[js](javascript:alert(1))"),  # markdown-it refuses the link
        ("<https://ex.com/x>", "<https://ex.com/x>"),
        ("![chart](https://ex.com/c.png)", "<https://ex.com/c.png|chart>"),
        ("- a\n- b", "• a\n• b"),
        ("1. a\n2. b", "1. a\n2. b"),
        ("3. c\n4. d", "3. c\n4. d"),
        ("- a\n  - b\n    - c", "• a\n    • b\n        • c"),
        ("- a\n\n- b", "• a\n\n• b"),
        ("> quoted *x*\n> more", "> quoted _x_\n> more"),
        ("> a\n>\n> b", "> a\n>\n> b"),
        ("a\n\n---\n\nb", "a\n\n────────────\n\nb"),
        ("<div>html & co</div>", "&lt;div&gt;html &amp; co&lt;/div&gt;"),
        ("a <b>x</b> c", "a &lt;b&gt;x&lt;/b&gt; c"),
        ("line one\nline two", "line one\nline two"),
        ("", ""),
    ],
)
def test_markdown_cases(md: str, expected: str) -> None:
    assert markdown_to_mrkdwn(md) == expected


def test_table_becomes_aligned_code_block() -> None:
    md = "| Label | Use |\n|---|---|\n| POS & co | **positive** |\n| N | <x> |"
    assert markdown_to_mrkdwn(md) == (
        "```\nLabel    | Use\n---------+---------\nPOS &amp; co | positive\nN        | &lt;x&gt;\n```"
    )


def test_code_fence_inside_code_is_defused() -> None:
    out = markdown_to_mrkdwn("````\nsee ``` here\n````")
    assert out.count("```") == 2  # only our own open and close


def test_paragraphs_are_separated_by_blank_lines() -> None:
    assert markdown_to_mrkdwn("# H\npara one\n\npara two") == "*H*\n\npara one\n\npara two"


@pytest.mark.parametrize("raw", INJECTIONS)
def test_control_sequences_in_documents_render_as_text(raw: str) -> None:
    md = (
        f"# {raw}\n\n{raw} in text, **{raw}**, `{raw}`, [{raw}](https://ex.com)\n\n"
        f"- {raw}\n\n> {raw}\n\n```\n{raw}\n```\n\n| a |\n|---|\n| {raw} |\n\n<p>{raw}</p>\n"
    )
    assert_safe(markdown_to_mrkdwn(md))


def test_ampersands_and_entities_in_markdown() -> None:
    # Markdown entities are decoded by the parser, then re-escaped for Slack exactly once.
    out = markdown_to_mrkdwn("AT&T &amp; &lt;tag&gt; &copy;")
    assert out == "AT&amp;T &amp; &lt;tag&gt; ©"
    assert_safe(out)
