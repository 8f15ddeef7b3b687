"""Block Kit → rich renderables for the terminal, with every button turned into a numbered choice.

Slack mrkdwn is parsed into styled `rich.text.Text` spans rather than rich markup strings, so a
guideline that contains `[bold]` or `[/]` is shown as typed and cannot restyle the terminal.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.rule import Rule
from rich.text import Text

Block = dict[str, Any]

CODE_STYLE = "bold cyan"
CODE_BLOCK_STYLE = "cyan"
LINK_STYLE = "underline blue"
MENTION_STYLE = "bold magenta"
CONTEXT_STYLE = "dim"
CHOICE_STYLE = "bold green"

# Slack mrkdwn inline tokens, tried in this order at each position.
_INLINE = re.compile(
    r"(?P<code>`[^`\n]+`)"
    r"|(?P<angle><[^<>\n]+>)"
    r"|(?<![\w*])\*(?P<bold>[^*\s](?:[^*\n]*[^*\s])?)\*(?![\w*])"
    r"|(?<![\w_])_(?P<italic>[^_\s](?:[^_\n]*[^_\s])?)_(?![\w_])"
    r"|(?<![\w~])~(?P<strike>[^~\s](?:[^~\n]*[^~\s])?)~(?![\w~])"
)
_FENCE = re.compile(r"```")
_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))


@dataclass(frozen=True)
class Choice:
    """A button the user can pick by number."""

    label: str
    action_id: str
    value: str | None
    block_id: str
    # Where the button was shown: the message it belongs to and how it got there.
    message: dict[str, Any] = field(default_factory=dict)
    is_view: bool = False


def unescape(text: str) -> str:
    """Slack's three entities back to characters (`&amp;` last, so `&amp;lt;` stays `&lt;`)."""
    for entity, char in _ENTITIES:
        text = text.replace(entity, char)
    return text


def _angle(token: str) -> tuple[str, str]:
    """Display text and style for `<…>`: links, user/channel mentions and special mentions."""
    inner = token[1:-1]
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        return "@" + (label or target[1:]), MENTION_STYLE
    if target.startswith("#"):
        return "#" + (label or target[1:]), MENTION_STYLE
    if target.startswith("!"):
        # <!here>, <!channel>, <!subteam^ID|@team>, <!date^…|fallback>
        name = label or target[1:].split("^", 1)[0]
        return (name if name.startswith("@") else "@" + name), MENTION_STYLE
    url = unescape(target)
    if label and unescape(label) != url:
        return f"{unescape(label)} ({url})", LINK_STYLE
    return url, LINK_STYLE


def _inline(text: str, out: Text, style: str = "") -> None:
    """Append one stretch of mrkdwn (no code fences) to `out` with styles."""
    pos = 0
    for m in _INLINE.finditer(text):
        if m.start() > pos:
            out.append(unescape(text[pos : m.start()]), style=style or None)
        if m.group("code"):
            out.append(unescape(m.group("code")[1:-1]), style=f"{style} {CODE_STYLE}".strip())
        elif m.group("angle"):
            shown, kind = _angle(m.group("angle"))
            out.append(shown, style=f"{style} {kind}".strip())
        else:
            kind = m.lastgroup or ""
            inner_style = {"bold": "bold", "italic": "italic", "strike": "strike"}[kind]
            _inline(m.group(kind), out, f"{style} {inner_style}".strip())
        pos = m.end()
    if pos < len(text):
        out.append(unescape(text[pos:]), style=style or None)


def _quote_lines(text: str, out: Text, style: str) -> None:
    """Prose lines; a raw `>` at a line start is a mrkdwn quote and gets a bar."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.startswith(">"):
            out.append("▌ ", style="dim")
            line = line[1:].lstrip(" ")
        _inline(line, out, style)
        if i < len(lines) - 1:
            out.append("\n")


def mrkdwn_to_text(mrkdwn: str, style: str = "") -> Text:
    """Slack mrkdwn as styled rich Text: bold, italic, strike, code, code blocks, links, mentions."""
    out = Text()
    parts = _FENCE.split(mrkdwn)
    # An unclosed fence is shown as prose, as Slack does: pair fences from the left only.
    if len(parts) % 2 == 0:
        parts = [*parts[:-2], parts[-2] + "```" + parts[-1]]
    for i, part in enumerate(parts):
        if i % 2 == 0:
            _quote_lines(part, out, style)
        else:
            code = unescape(part.strip("\n"))
            if out and not out.plain.endswith("\n"):
                out.append("\n")
            out.append(
                "\n".join("  " + line for line in code.split("\n")),
                style=f"{style} {CODE_BLOCK_STYLE}".strip(),
            )
            if i + 1 < len(parts) and parts[i + 1] and not parts[i + 1].startswith("\n"):
                out.append("\n")
    return out


def _text_object(obj: Any, style: str = "") -> Text:
    if not isinstance(obj, dict):
        return Text(str(obj or ""), style=style)
    text = str(obj.get("text", ""))
    if obj.get("type") == "mrkdwn":
        return mrkdwn_to_text(text, style)
    # plain_text from the builders is escaped too (kit.plain_text), so unescape it for display.
    return Text(unescape(text), style=style)


class Renderer:
    """Turns messages into renderables and collects their buttons as numbered choices."""

    def __init__(self) -> None:
        """Start with no choices."""
        self.choices: list[Choice] = []

    def _choice(self, element: Block, block_id: str, message: dict[str, Any], is_view: bool) -> Text:
        label = unescape(str((element.get("text") or {}).get("text", "")))
        self.choices.append(
            Choice(
                label=label,
                action_id=str(element.get("action_id", "")),
                value=element.get("value"),
                block_id=block_id,
                message=message,
                is_view=is_view,
            )
        )
        shown = Text(f"[{len(self.choices)}]", style=CHOICE_STYLE)
        shown.append(f" {label}")
        if element.get("url"):
            shown.append(f" ({element['url']})", style=LINK_STYLE)
        return shown

    def _elements(self, elements: list[Block], block_id: str, message: dict[str, Any], is_view: bool) -> Text:
        line = Text()
        for element in elements:
            if line:
                line.append("  ")
            if element.get("type") == "button":
                line.append_text(self._choice(element, block_id, message, is_view))
            else:
                # Selects, date pickers…: shown, not operable from the console.
                placeholder = _text_object(element.get("placeholder") or element.get("type", "element"))
                line.append_text(Text("⟨", style="dim") + placeholder + Text("⟩", style="dim"))
        return line

    def block(self, block: Block, message: dict[str, Any], is_view: bool = False) -> Iterator[RenderableType]:
        """Renderables for one block; buttons become numbered choices."""
        kind = block.get("type")
        block_id = str(block.get("block_id", ""))
        if kind == "header":
            yield _text_object(block.get("text"), "bold underline")
        elif kind == "divider":
            yield Rule(style="dim")
        elif kind == "section":
            if block.get("text"):
                yield _text_object(block["text"])
            if block.get("fields"):
                yield Group(*(Padding(_text_object(f), (0, 0, 0, 2)) for f in block["fields"]))
            accessory = block.get("accessory")
            if isinstance(accessory, dict):
                yield Padding(self._elements([accessory], block_id, message, is_view), (0, 0, 0, 2))
        elif kind == "context":
            line = Text(style=CONTEXT_STYLE)
            for element in block.get("elements", []):
                if line:
                    line.append("  ")
                if element.get("type") == "image":
                    line.append(f"[{element.get('alt_text', 'image')}]")
                else:
                    line.append_text(_text_object(element, CONTEXT_STYLE))
            yield line
        elif kind == "actions":
            yield self._elements(block.get("elements", []), block_id, message, is_view)
        elif kind == "image":
            yield Text(f"[image: {block.get('alt_text', '')}]", style="dim")
        elif kind == "markdown":
            yield Text(str(block.get("text", "")))
        else:
            yield Text(f"[{kind} block]", style="dim")

    def message(self, payload: dict[str, Any], is_view: bool = False) -> Group:
        """A whole message (or view): its blocks, else its fallback text."""
        blocks = payload.get("blocks")
        parts: list[RenderableType] = []
        if isinstance(blocks, list) and blocks:
            for block in blocks:
                if isinstance(block, dict):
                    parts.extend(self.block(block, payload, is_view))
        elif payload.get("text"):
            parts.append(mrkdwn_to_text(str(payload["text"])))
        return Group(*parts)
