"""Heading anchors: GitHub-style slugs and explicit `{#anchor}` overrides."""

from __future__ import annotations

import re
import unicodedata

# Explicit anchors are citations typed by people, so they are kept to a plain ASCII alphabet.
EXPLICIT_ANCHOR_RE = re.compile(r"[a-z0-9][a-z0-9_-]*")
# A trailing `{#...}` on a heading; a backslash-escaped brace (`\{#x}`) is literal text instead.
_TRAILING_ANCHOR_RE = re.compile(r"(?<!\\)\{#(?P<anchor>[^{}]*)\}\s*$")


def slugify(text: str) -> str:
    """GitHub-style anchor of a heading text, e.g. `Sarcasm & irony` -> `sarcasm--irony`."""
    kept = []
    for ch in text.lower():
        if ch in " -_":
            kept.append(ch)
        elif ch.isspace():
            kept.append(" ")
        elif unicodedata.category(ch)[0] in "LMN":  # letters (with their marks) and digits, any script
            kept.append(ch)
    # Unlike GitHub, spaces left at the ends by dropped emoji/punctuation are trimmed, so
    # "🎉 Party" gives "party" rather than "-party". Inner runs stay, as on GitHub.
    return "".join(kept).strip(" ").replace(" ", "-")


def split_explicit_anchor(heading: str) -> tuple[str, str | None]:
    """Split `Title {#anchor}` into (`Title`, `anchor`); the anchor is None when there is none.

    The anchor is returned as written; check it with `is_valid_explicit_anchor`.
    """
    match = _TRAILING_ANCHOR_RE.search(heading)
    if not match:
        return heading.strip(), None
    return heading[: match.start()].strip(), match.group("anchor")


def is_valid_explicit_anchor(anchor: str) -> bool:
    """True when an explicit anchor uses only [a-z0-9_-] and starts with a letter or digit."""
    return EXPLICIT_ANCHOR_RE.fullmatch(anchor) is not None
