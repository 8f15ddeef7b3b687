"""Section aliases: the `Aliases: a, b` line under a heading, read and checked (see docs/guidelines-format.md)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from guidelines.errors import GuidelineFormatError

MAX_ALIAS_CHARS = 60
MAX_ALIASES = 10
# `Aliases:` at the start of the first paragraph under a heading, any case; at most three spaces of
# indent, as CommonMark allows before a paragraph (four would make it code).
_PREFIX = re.compile(r"^ {0,3}aliases[ \t]*:", re.IGNORECASE)
_LETTER_OR_DIGIT = re.compile(r"[^\W_]")


@dataclass(frozen=True)
class AliasLine:
    """The aliases of one section, each with the 1-based line it is written on."""

    aliases: tuple[str, ...]
    lines: tuple[int, ...]


def is_alias_paragraph(first_line: str) -> bool:
    """True when a paragraph's first line declares aliases."""
    return _PREFIX.match(first_line) is not None


def alias_key(alias: str) -> str:
    """What two aliases are compared by: case and spacing do not make a different word."""
    return " ".join(alias.split()).casefold()


def read_aliases(lines: Sequence[str], first_line: int, title: str, shown: str) -> AliasLine:
    """Parse the paragraph `lines` (starting at 1-based `first_line`) as a section's aliases.

    Raises GuidelineFormatError naming the line of the first problem: an empty list or alias, an
    alias split over two lines, too long, without letters or digits, listed twice, the section's own
    title, or more than MAX_ALIASES.
    """
    text = "\n".join([_PREFIX.sub("", lines[0], count=1), *lines[1:]])
    if not text.strip():
        raise GuidelineFormatError(
            "empty Aliases line: list the other words annotators use for this section, separated by commas",
            shown,
            first_line,
        )
    aliases: list[str] = []
    where: list[int] = []
    seen: dict[str, int] = {}
    offset = 0
    for piece in text.split(","):
        # The line the alias starts on: newlines before it, plus leading newlines of the piece.
        stripped = piece.strip()
        lead = piece[: len(piece) - len(piece.lstrip())]
        line = first_line + text[:offset].count("\n") + lead.count("\n")
        offset += len(piece) + 1
        if not stripped:
            raise GuidelineFormatError(
                "empty alias: two commas in a row, or a comma at the start or end of the list", shown, line
            )
        alias = " ".join(stripped.split())
        if "\n" in stripped:
            raise GuidelineFormatError(
                f'alias "{alias}" is split over two lines: break the Aliases line only after a comma',
                shown,
                line,
            )
        if len(alias) > MAX_ALIAS_CHARS:
            raise GuidelineFormatError(
                f'alias "{alias[:MAX_ALIAS_CHARS]}…" is too long: {len(alias)} characters, '
                f"at most {MAX_ALIAS_CHARS} (an alias is a word or a short phrase)",
                shown,
                line,
            )
        if not _LETTER_OR_DIGIT.search(alias):
            raise GuidelineFormatError(
                f'alias "{alias}" has no letters or digits: a search could never find it', shown, line
            )
        key = alias_key(alias)
        if key in seen:
            raise GuidelineFormatError(
                f'alias "{alias}" is listed twice for this section (first at line {seen[key]})', shown, line
            )
        if key == alias_key(title):
            raise GuidelineFormatError(
                f'alias "{alias}" is the section\'s own title: aliases are the other words annotators use',
                shown,
                line,
            )
        seen[key] = line
        aliases.append(alias)
        where.append(line)
    if len(aliases) > MAX_ALIASES:
        raise GuidelineFormatError(
            f"too many aliases: {len(aliases)}, at most {MAX_ALIASES} per section", shown, where[MAX_ALIASES]
        )
    return AliasLine(tuple(aliases), tuple(where))


def alias_markdown(aliases: Sequence[str]) -> str:
    """The `Aliases:` line that parses back to these aliases."""
    return "Aliases: " + ", ".join(aliases)
