"""Markdown to plain text, for the search index and snippets (link targets and markup dropped)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.token import Token


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark").enable("table").enable("strikethrough")


def inline_text(children: Iterable[Token]) -> str:
    """Text of inline tokens as a reader sees it: no markup, no link targets."""
    parts: list[str] = []
    for tok in children:
        # Inline HTML is kept as text: guideline prose like `<PARTY>` or `<!here>` is content here.
        # text_special carries backslash escapes and entities, already decoded.
        if tok.type in ("text", "text_special", "code_inline", "html_inline"):
            parts.append(tok.content)
        elif tok.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif tok.type == "image":
            parts.append(inline_text(tok.children or []))
    return "".join(parts)


def markdown_to_plain(md: str) -> str:
    """Readable text of a Markdown fragment: one line per block, no markup, no URLs."""
    lines: list[str] = []
    for tok in _parser().parse(md):
        if tok.type == "inline":
            text = inline_text(tok.children or [])
            if text.strip():
                lines.append(text.strip())
        elif tok.type in ("fence", "code_block", "html_block"):
            text = tok.content.strip()
            if text:
                lines.append(text)
    return "\n".join(lines)
