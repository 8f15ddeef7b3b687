"""Rebuilding Markdown from sections, so a stored version can be shown or re-published."""

from __future__ import annotations

from collections.abc import Sequence

from guidelines.aliases import alias_markdown
from guidelines.anchors import slugify
from guidelines.model import GuidelineDocument, SectionLike

# Characters that could turn a plain title back into markup, or into a `{#anchor}` suffix or an
# ATX closing sequence, when the heading is parsed again.
_ESCAPE = set("\\`*_[]<>#&{}")


def escape_title(title: str) -> str:
    """Backslash-escape a plain-text title so it parses back to the same text."""
    return "".join(f"\\{ch}" if ch in _ESCAPE else ch for ch in title)


def heading_markdown(section: SectionLike, level: int | None = None) -> str:
    """The ATX heading line of a section, with `{#anchor}` when the anchor is not the title's slug."""
    depth = level if level is not None else getattr(section, "level", 2)
    depth = min(max(int(depth), 1), 6)
    line = f"{'#' * depth} {escape_title(section.title)}"
    if section.anchor != slugify(section.title):
        line += f" {{#{section.anchor}}}"
    return line


def section_markdown(section: SectionLike, level: int | None = None) -> str:
    """Markdown of one section: heading line, its `Aliases:` line if any, blank line, body; ends with a newline."""
    heading = heading_markdown(section, level)
    if section.aliases:
        heading += "\n\n" + alias_markdown(section.aliases)
    body = section.body.strip("\n")
    return f"{heading}\n\n{body}\n" if body.strip() else f"{heading}\n"


def render_markdown(source: GuidelineDocument | Sequence[SectionLike] | SectionLike) -> str:
    """Markdown of a whole version (document or section list) or of one section."""
    if isinstance(source, GuidelineDocument):
        sections: Sequence[SectionLike] = source.sections
    elif isinstance(source, Sequence):
        sections = source
    else:
        return section_markdown(source)
    return "\n".join(section_markdown(s) for s in sections)
