"""Issue 12 item 2: an item's text shown escaped and cut to a limit with an exact "… (n more characters)"."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.slack.blocks.item_text import MIN_LIMIT, item_blocks, item_link, item_mrkdwn, item_text, more_marker
from bot.slack.blocks.kit import SECTION_TEXT_MAX
from bot.slack.blocks.mrkdwn import escape
from tests.support.blockkit import EVIL, assert_no_injection, validate_block

_MARKER = re.compile(r"… \(([0-9,]+) more characters?\)\Z")
_ENTITY = re.compile(r"&(amp|lt|gt);")
_BARE_AMP = re.compile(r"&(?!amp;|lt;|gt;)")
PAIR = "\ud83d\ude00"  # a surrogate pair as two code points (how a JSON "\ud83d\ude00" could arrive split)

# Text weighted to the characters that matter: entities' sources, spaces, markup, astral and surrogates.
_TEXT = st.lists(
    st.one_of(st.characters(), st.sampled_from(["&", "<", ">", " ", "\n", "𝄞", "é", PAIR, "@", "|"])),
    max_size=300,
).map("".join)
_LIMIT = st.integers(MIN_LIMIT, 600)


def _unescape(mrkdwn: str) -> str:
    return _ENTITY.sub(lambda m: {"amp": "&", "lt": "<", "gt": ">"}[m.group(1)], mrkdwn)


def _split(shown: str) -> tuple[str, int | None]:
    """(the escaped head, n) of a cut text; n is None when nothing was cut."""
    m = _MARKER.search(shown)
    if m is None:
        return shown, None
    return shown[: m.start()], int(m.group(1).replace(",", ""))


@given(text=_TEXT, limit=_LIMIT)
def test_property_text_fits_is_escaped_and_the_marker_counts_exactly(text: str, limit: int) -> None:
    shown = item_text(text, limit)
    assert len(shown) <= limit
    if len(escape(text)) <= limit:
        assert shown == escape(text)
        return
    head, n = _split(shown)
    assert "<" not in head and ">" not in head and not _BARE_AMP.search(head)
    kept = _unescape(head)
    assert n is not None and n > 0 and len(kept) + n == len(text)
    assert kept == text[: len(text) - n]  # a prefix: no entity, character or pair split
    assert not (kept.endswith("\ud83d") and text[len(kept) : len(kept) + 1] == "\ude00")


@given(
    text=_TEXT,
    url=st.one_of(st.none(), _TEXT, st.text().map(lambda s: "https://x.example/" + s)),
    limit=_LIMIT,
)
def test_property_item_mrkdwn_fits_and_injects_nothing(text: str, url: str | None, limit: int) -> None:
    shown = item_mrkdwn(text, url, limit)
    assert len(shown) <= limit
    links = re.findall(r"<[^<>]*>", shown)
    assert all(link.startswith(("<http://", "<https://")) and "|" not in link for link in links)
    assert not _BARE_AMP.search(shown)


def test_short_text_is_only_escaped() -> None:
    assert item_text(EVIL, 100) == "&lt;!channel&gt; &lt;!here&gt; &lt;@U123&gt; &amp; &lt;https://x|y&gt;"
    assert item_text("", 40) == ""


def test_cut_prefers_a_word_boundary_and_counts_what_was_left_out() -> None:
    text = "word " * 100
    shown = item_text(text, 60)
    head, n = _split(shown)
    assert head.endswith(" ") and n == len(text) - len(head)
    assert shown.endswith(more_marker(n))
    assert more_marker(1) == "… (1 more character)" and more_marker(12_345) == "… (12,345 more characters)"


def test_an_entity_is_never_split() -> None:
    text = "&" * 100
    for limit in range(MIN_LIMIT, 80):
        head, n = _split(item_text(text, limit))
        assert n is not None and len(head) % 5 == 0 and head == "&amp;" * (len(head) // 5)


def test_a_surrogate_pair_is_never_split() -> None:
    text = "a" + PAIR * 50
    for limit in range(MIN_LIMIT, 70):
        head, n = _split(item_text(text, limit))
        assert n is not None and not head.endswith("\ud83d")


def test_limit_below_the_minimum_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 40"):
        item_text("x", MIN_LIMIT - 1)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://cdn.example/a|c?x=1&y=<2>", "<https://cdn.example/a%7Cc?x=1&amp;y=%3C2%3E>"),
        ("https://x/a b", "https://x/a b"),  # whitespace: not a URL Slack would link, shown as text
        ("HTTP://Example.com/", "<HTTP://Example.com/>"),
        ("javascript:alert(1)", "javascript:alert(1)"),
        ("s3://bucket/<@U1>", "s3://bucket/&lt;@U1&gt;"),
        ("/data/upload/1/a.png", "/data/upload/1/a.png"),
        ("https://x/\nnewline", "https://x/\nnewline"),  # not a link: shown as text
    ],
)
def test_only_http_urls_become_links(url: str, shown: str) -> None:
    assert item_link(url, 200) == shown


def test_a_url_too_long_to_link_is_cut_text() -> None:
    url = "https://example.com/" + "p" * 500
    shown = item_link(url, 100)
    assert (
        not shown.startswith("<")
        and len(shown) <= 100
        and _split(shown)[1] == len(url) - len(_split(shown)[0])
    )


def test_item_blocks_are_valid_sections_within_slack_limits() -> None:
    [block] = item_blocks(EVIL * 500, "https://example.com/i.png?a=1&b=2")
    validate_block(block)
    assert_no_injection([block])
    assert len(block["text"]["text"]) <= SECTION_TEXT_MAX
    assert block["text"]["text"].startswith("<https://example.com/i.png?a=1&amp;b=2>\n&lt;!channel&gt;")
    assert item_blocks(None, None) == [] and item_blocks("   ", None) == []
    [only_url] = item_blocks(None, "ftp://x")
    assert only_url["text"]["text"] == "ftp://x"
