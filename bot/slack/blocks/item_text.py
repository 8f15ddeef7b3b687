"""An item's text and URL as mrkdwn: escaped, and cut to a limit by construction with a clear marker.

What an annotator labeled is shown where a flag, the queue or a DM needs it. The text is arbitrary
(an item can be 64 KiB), so it is escaped (`&`, `<`, `>`: no mention or link can come from it) and,
when over the limit, cut and ended with "… (n more characters)", where n is the number of the
item's characters left out. The cut is made on the raw text, counting escaped widths, so an entity
such as `&amp;` is never split, nor a surrogate pair. A URL is a link only when it is http(s) and
fits; anything else is shown as escaped text. Pure: no Slack, no store.
"""

from __future__ import annotations

import re

from bot.slack.blocks.kit import SECTION_TEXT_MAX, Block, section
from bot.slack.blocks.mrkdwn import escape, safe_url

# The smallest limit that holds a marker for any text an import keeps (and far more).
MIN_LIMIT = 40
# A word boundary this close to the cut is preferred to cutting inside a word.
_WORD_BACKOFF = 30
_LINKABLE = re.compile(r"https?://[^\s\x00-\x1f\x7f]+", re.IGNORECASE).fullmatch
_WIDTH = {"&": 5, "<": 4, ">": 4}  # len(escape(ch)); every other character is itself


def more_marker(n: int) -> str:
    """The end of a cut text: "… (n more characters)"."""
    return f"… ({n:,} more character{'s' * (n != 1)})"


def _check(limit: int) -> None:
    if limit < MIN_LIMIT:
        raise ValueError(f"limit must be at least {MIN_LIMIT} characters, got {limit}")


def _splits_pair(text: str, k: int) -> bool:
    """Whether cutting before text[k] separates a high surrogate from its low surrogate."""
    return 0 < k < len(text) and "\ud800" <= text[k - 1] <= "\udbff" and "\udc00" <= text[k] <= "\udfff"


def item_text(text: str, limit: int) -> str:
    """`text` escaped for mrkdwn, at most `limit` characters; cut with more_marker when it is longer."""
    _check(limit)
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    total = len(text)
    best = 0  # the longest prefix that fits with its marker
    word = 0  # the longest such prefix that ends at a word boundary
    used = 0  # len(escape(text[:k]))
    for k in range(total + 1):
        if k:
            used += _WIDTH.get(text[k - 1], 1)
        if used > limit:
            break
        if used + len(more_marker(total - k)) <= limit and not _splits_pair(text, k):
            best = k
            if 0 < k < total and (text[k].isspace() or text[k - 1].isspace()):
                word = k
    cut = word if word and best - word <= _WORD_BACKOFF else best
    return escape(text[:cut]) + more_marker(total - cut)


def item_link(url: str, limit: int) -> str:
    """An http(s) URL as a mrkdwn link when it fits in `limit`; otherwise escaped text (item_text)."""
    _check(limit)
    if _LINKABLE(url):
        target = safe_url(url)
        if len(target) + 2 <= limit:
            return f"<{target}>"
    return item_text(url, limit)


def item_mrkdwn(text: str | None, url: str | None, limit: int = SECTION_TEXT_MAX) -> str:
    """The URL line (at most half the limit), then the text; together at most `limit` characters.

    Under 2 * MIN_LIMIT + 1 there is no room for both: an item with text shows its text only.
    """
    _check(limit)
    if not url:
        return item_text(text, limit) if text else ""
    if not text:
        return item_link(url, limit)
    if limit < 2 * MIN_LIMIT + 1:
        return item_text(text, limit)
    shown = item_link(url, limit // 2)
    # limit - limit // 2 - 1 >= MIN_LIMIT: the text always has room for its marker.
    return shown + "\n" + item_text(text, limit - len(shown) - 1)


def item_blocks(text: str | None, url: str | None, limit: int = SECTION_TEXT_MAX) -> list[Block]:
    """A section showing the item (item_mrkdwn), or no block when it has nothing to show."""
    mrkdwn = item_mrkdwn(text, url, min(limit, SECTION_TEXT_MAX))
    return [section(mrkdwn)] if mrkdwn.strip() else []
