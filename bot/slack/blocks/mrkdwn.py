"""Text for Slack `mrkdwn` fields: escaping, guideline Markdown conversion and search snippets.

Every piece of document or user text goes through `escape`, so `<!channel>`, `<@U…>` or
`<https://x|y>` written in a guideline or a query is shown as text and pings nobody. The only
raw `<`, `>` and `&` in the output are the ones this module writes on purpose: link syntax,
quote prefixes and entities. The other way, `plain_text` reads what a user typed in Slack (which
arrives as mrkdwn: markup for mentions and links, entities for `&`, `<`, `>`) as plain text.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

from guidelines.model import HL_END, HL_START

# Tables and ~~strike~~ are GFM extensions our guideline authors use; the rest is CommonMark.
# `html` stays on (the preset default) so raw HTML arrives as html tokens we can escape,
# rather than being re-parsed as text.
_MD = MarkdownIt("commonmark").enable(["table", "strikethrough"])

_LINK_SCHEMES = ("http://", "https://", "mailto:")
_HR = "─" * 12
_INDENT = "    "
# A run of three backticks inside code content would close Slack's fence early; a zero-width
# space between the backticks keeps the text readable and the fence intact.
_FENCE = "```"
_FENCE_SAFE = "``\u200b`"


def escape(text: str) -> str:
    """Escape Slack's three control characters (`&`, `<`, `>`) and nothing else."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# In text Slack sends, every `<` and `>` the user typed arrives as an entity, so a raw `<…>` is markup.
_MARKUP = re.compile(r"<([^<>]*)>")
_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}


def _unescape(text: str) -> str:
    # One pass: `&amp;lt;` is the text `&lt;`, not `<`.
    return _ENTITY.sub(lambda m: _ENTITIES[m.group(1)], text)


def _markup_text(match: re.Match[str]) -> str:
    inner = match.group(1)
    target, _, label = inner.partition("|")
    if inner[:1] in ("@", "!"):
        # User mentions, @channel / @here / @everyone, user groups, dates: nothing to search for.
        return ""
    if inner[:1] == "#":
        return _unescape(label)  # a channel reads as its name (none known: nothing)
    return _unescape(label or target)  # a link reads as its text, else its address


def plain_text(slack_text: str) -> str:
    """Text as the Slack user meant it: mentions dropped, channels by name, links by text, entities decoded."""
    out: list[str] = []
    end = 0
    for match in _MARKUP.finditer(slack_text):
        out.append(_unescape(slack_text[end : match.start()]))
        out.append(_markup_text(match))
        end = match.end()
    out.append(_unescape(slack_text[end:]))
    return "".join(out)


def safe_url(url: str) -> str:
    """A URL usable inside `<url|label>`: characters that would end the link are percent-encoded."""
    for raw, enc in (("|", "%7C"), ("<", "%3C"), (">", "%3E"), (" ", "%20"), ("\n", ""), ("\r", "")):
        url = url.replace(raw, enc)
    # Slack decodes entities in link targets, so `&` in a query string is written as `&amp;`.
    return url.replace("&", "&amp;")


def link(url: str, label: str | None = None) -> str:
    """A mrkdwn link to `url` showing the (raw, unescaped) `label`."""
    if not label:
        return f"<{safe_url(url)}>"
    return f"<{safe_url(url)}|{escape(' '.join(label.split()))}>"


def code_safe(text: str) -> str:
    """Escape `text` for use inside a ``` code block, defusing fences inside it."""
    return escape(text).replace(_FENCE, _FENCE_SAFE)


def _wrap(marker: str, inner: str) -> str:
    """Put `marker` around `inner`, keeping edge whitespace outside (Slack ignores `* x *`)."""
    core = inner.strip()
    if not core:
        return inner
    lead = inner[: len(inner) - len(inner.lstrip())]
    trail = inner[len(inner.rstrip()) :]
    return f"{lead}{marker}{core}{marker}{trail}"


def snippet_to_mrkdwn(snippet: str) -> str:
    """Escape a search snippet and turn its HL_START/HL_END markers into Slack bold."""
    out: list[str] = []
    inside = False
    for part in re.split(f"({HL_START}|{HL_END})", " ".join(snippet.split())):
        if part == HL_START:
            inside = True
        elif part == HL_END:
            inside = False
        elif part:
            out.append(_wrap("*", escape(part)) if inside else escape(part))
    return "".join(out)


# --- Markdown → mrkdwn ------------------------------------------------------------------------


def markdown_to_mrkdwn(md: str) -> str:
    """Convert guideline Markdown (CommonMark + tables + strikethrough) to escaped Slack mrkdwn."""
    tree = SyntaxTreeNode(_MD.parse(md))
    return "\n".join(_render_blocks(tree.children, tight=False)).strip("\n")


def _render_blocks(nodes: list[SyntaxTreeNode], *, tight: bool) -> list[str]:
    lines: list[str] = []
    for node in nodes:
        block = _render_block(node)
        if not block:
            continue
        if lines and not tight:
            lines.append("")
        lines.extend(block)
    return lines


def _render_block(node: SyntaxTreeNode) -> list[str]:
    kind = node.type
    if kind == "paragraph":
        return _inline_of(node).split("\n")
    if kind == "heading":
        text = _inline_of(node, in_bold=True).replace("\n", " ")
        return [_wrap("*", text)] if text.strip() else []
    if kind in ("bullet_list", "ordered_list"):
        return _render_list(node)
    if kind == "blockquote":
        inner = _render_blocks(node.children, tight=False)
        # A raw `>` at line start is mrkdwn's quote; text inside was escaped already.
        return [f"> {line}" if line else ">" for line in inner]
    if kind in ("fence", "code_block"):
        return [_FENCE, *code_safe(node.content.rstrip("\n")).split("\n"), _FENCE]
    if kind == "html_block":
        return escape(node.content.rstrip("\n")).split("\n")
    if kind == "hr":
        return [_HR]
    if kind == "table":
        return _render_table(node)
    if node.children:
        return _render_blocks(node.children, tight=False)
    return escape(node.content).split("\n") if node.content else []


def _render_list(node: SyntaxTreeNode) -> list[str]:
    ordered = node.type == "ordered_list"
    start = int(node.attrs.get("start", 1)) if ordered else 1
    # markdown-it hides the paragraphs of a tight list; that is how tightness is exposed.
    tight = all(c.hidden for item in node.children for c in item.children if c.type == "paragraph")
    lines: list[str] = []
    for number, item in enumerate(node.children, start=start):
        body = _render_blocks(item.children, tight=tight) or [""]
        if lines and not tight:
            lines.append("")
        marker = f"{number}." if ordered else "•"
        lines.append(f"{marker} {body[0]}")
        lines.extend(f"{_INDENT}{line}" if line else "" for line in body[1:])
    return lines


def _render_table(node: SyntaxTreeNode) -> list[str]:
    rows: list[list[str]] = []
    for section in node.children:  # thead, tbody
        for tr in section.children:
            rows.append([" ".join(_plain(cell).split()) for cell in tr.children])
    if not rows:
        return []
    ncols = max(len(r) for r in rows)
    rows = [r + [""] * (ncols - len(r)) for r in rows]
    # Widths are measured on the raw text: entities count as one character on screen.
    widths = [max(len(r[i]) for r in rows) for i in range(ncols)]
    out = [" | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    out.insert(1, "-+-".join("-" * w for w in widths))
    return [_FENCE, *(code_safe(line) for line in out), _FENCE]


def _inline_of(node: SyntaxTreeNode, *, in_bold: bool = False) -> str:
    return "".join(_render_inline(c, in_bold=in_bold) for c in node.children)


def _render_inline(node: SyntaxTreeNode, *, in_bold: bool) -> str:
    kind = node.type
    if kind == "inline":
        return _inline_of(node, in_bold=in_bold)
    if kind == "text":
        return escape(node.content)
    if kind in ("softbreak", "hardbreak"):
        return "\n"
    if kind == "strong":
        inner = _inline_of(node, in_bold=True)
        return inner if in_bold else _wrap("*", inner)
    if kind == "em":
        return _wrap("_", _inline_of(node, in_bold=in_bold))
    if kind == "s":
        return _wrap("~", _inline_of(node, in_bold=in_bold))
    if kind == "code_inline":
        return f"`{escape(node.content)}`" if node.content else ""
    if kind == "link":
        return _render_link(node, in_bold=in_bold)
    if kind == "image":
        src = str(node.attrs.get("src", ""))
        alt = _plain(node) or "image"
        return link(src, alt) if src.startswith(_LINK_SCHEMES) else escape(alt)
    if kind == "html_inline":
        return escape(node.content)
    if node.children:
        return _inline_of(node, in_bold=in_bold)
    return escape(node.content)


def _render_link(node: SyntaxTreeNode, *, in_bold: bool) -> str:
    href = str(node.attrs.get("href", ""))
    if node.markup == "autolink":
        # `<https://x|y>` in a document is a CommonMark autolink: show the bare URL, no label.
        return link(href) if href.startswith(_LINK_SCHEMES) else escape(_plain(node))
    if href.startswith(_LINK_SCHEMES):
        label = _plain(node)
        return link(href, label) if label.strip() else link(href)
    # In-document anchors and relative paths mean nothing in Slack: keep the text only.
    return _inline_of(node, in_bold=in_bold)


def _plain(node: SyntaxTreeNode) -> str:
    """The raw (unescaped) text of an inline subtree, formatting dropped."""
    if node.type in ("text", "code_inline", "html_inline"):
        return node.content
    if node.type in ("softbreak", "hardbreak"):
        return " "
    return "".join(_plain(c) for c in node.children)
