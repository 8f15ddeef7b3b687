"""Block Kit builders returning plain dicts, with every Slack limit respected by construction.

Plain dicts are what bolt sends, and Slack's SDK validates only model objects, so the limits
are enforced here. Two kinds of input:
- *raw* text for `plain_text` fields (header, button, modal title): escaped here, and shortened
  with "…" when over the limit, since those are labels;
- *mrkdwn* text for sections and context: already escaped/formatted by the caller (see
  `mrkdwn.py`); it is never shortened, only split across blocks.
Over-limit identifiers and values (action_id, button value, private_metadata) are programming
errors and raise.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from bot.slack.blocks.mrkdwn import escape

Block = dict[str, Any]

MAX_BLOCKS_PER_MESSAGE = 50
MAX_BLOCKS_PER_VIEW = 100
SECTION_TEXT_MAX = 3000
SECTION_FIELDS_MAX = 10
TEXT_OBJECT_MAX = 3000  # any mrkdwn text object, e.g. a context element
HEADER_TEXT_MAX = 150
MARKDOWN_BLOCK_MAX = 12000
BUTTON_TEXT_MAX = 75
BUTTON_VALUE_MAX = 2000
BUTTON_URL_MAX = 3000
ACTION_ID_MAX = 255
BLOCK_ID_MAX = 255
ACTIONS_ELEMENTS_MAX = 25
CONTEXT_ELEMENTS_MAX = 10
MODAL_TITLE_MAX = 24
MODAL_SUBMIT_MAX = 24
MODAL_CLOSE_MAX = 24
PRIVATE_METADATA_MAX = 3000
CALLBACK_ID_MAX = 255
# A confirmation dialog (composition object `confirm`): title, text, and its two button labels.
CONFIRM_TITLE_MAX = 100
CONFIRM_TEXT_MAX = 300
CONFIRM_BUTTON_MAX = 30
# Selects: an option's text and value, options per static select or options answer, placeholders,
# input labels and hints, and plain_text_input lengths (slack_sdk models; Block Kit reference).
OPTION_TEXT_MAX = 75
OPTION_VALUE_MAX = 150
SELECT_OPTIONS_MAX = 100
PLACEHOLDER_MAX = 150
INPUT_LABEL_MAX = 2000
INPUT_HINT_MAX = 2000
TEXT_INPUT_MAX = 3000
# Cumulative size of one message's blocks. Undocumented: Slack answers `msg_blocks_too_long`
# from about 11-13k characters of text (bolt-js #2509, #2867); a maintainer suggested 12,000
# "with a buffer for block containers". `paginate` measures the blocks' compact JSON, which
# over-counts the text, to stay clear of it.
MESSAGE_CHARS_MAX = 12000
# Notification/fallback text: Slack truncates at 40,000, but a notification preview shows a line.
FALLBACK_TEXT_MAX = 300

ELLIPSIS = "…"
BUTTON_STYLES = ("primary", "danger")


class BlockLimitError(ValueError):
    """Raised when a caller asks for something Block Kit cannot hold (callers must split first)."""


# --- text objects ------------------------------------------------------------------------------


def shorten(text: str, limit: int) -> str:
    """Escape raw `text` onto one line and, if over `limit`, cut it at a word boundary with "…"."""
    text = " ".join(text.split())
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    budget = limit - len(ELLIPSIS)
    # Cut the raw text, counting escaped widths, so an entity is never split in half.
    used = cut = 0
    for i, ch in enumerate(text):
        used += len(escape(ch))
        if used > budget:
            break
        cut = i + 1
    head = text[:cut]
    if text[cut : cut + 1] != " ":
        space = head.rfind(" ")
        # Prefer the word boundary unless it throws away more than half of what fits.
        if space > cut // 2:
            head = head[:space]
    return escape(head.rstrip()) + ELLIPSIS


def plain_text(text: str, limit: int = TEXT_OBJECT_MAX) -> dict[str, Any]:
    """A plain_text object from raw text, escaped and shortened to `limit`."""
    return {"type": "plain_text", "text": shorten(text, limit) or ELLIPSIS, "emoji": True}


def mrkdwn_text(text: str) -> dict[str, Any]:
    """A mrkdwn text object from already-escaped mrkdwn (raises if over 3000 characters)."""
    if len(text) > TEXT_OBJECT_MAX:
        raise BlockLimitError(f"mrkdwn text of {len(text)} characters; split it with sections()")
    return {"type": "mrkdwn", "text": text}


# --- blocks ------------------------------------------------------------------------------------


def _check_id(name: str, value: str | None, limit: int) -> None:
    if value is not None and not 0 < len(value) <= limit:
        raise ValueError(f"{name} must be 1..{limit} characters, got {len(value)}")


def header(text: str) -> Block:
    """A header block from raw text; over 150 characters it is cut at a word with "…"."""
    if not text.strip():
        raise ValueError("header text is empty")
    return {"type": "header", "text": plain_text(text, HEADER_TEXT_MAX)}


def heading(text: str) -> list[Block]:
    """A header, followed by the full text in a section when the header had to be shortened."""
    block = header(text)
    full = escape(" ".join(text.split()))
    if block["text"]["text"] != full:
        return [block, *sections(f"*{full}*")]
    return [block]


def section(text: str, *, accessory: dict[str, Any] | None = None, block_id: str | None = None) -> Block:
    """One section block from mrkdwn that must fit (≤ 3000); use `sections` for arbitrary text."""
    if not text.strip():
        raise ValueError("section text is empty")
    _check_id("block_id", block_id, BLOCK_ID_MAX)
    block: Block = {"type": "section", "text": mrkdwn_text(text)}
    if accessory is not None:
        block["accessory"] = accessory
    if block_id is not None:
        block["block_id"] = block_id
    return block


def sections(mrkdwn: str, limit: int = SECTION_TEXT_MAX) -> list[Block]:
    """Section blocks holding all of `mrkdwn`, split at paragraph/line/word boundaries as needed."""
    return [section(part) for part in split_mrkdwn(mrkdwn, limit)]


def context(elements: Sequence[str | dict[str, Any]]) -> Block:
    """A context block from mrkdwn strings (or ready element dicts); at most 10, each ≤ 3000."""
    items = [mrkdwn_text(e) if isinstance(e, str) else e for e in elements if not isinstance(e, str) or e]
    if not items:
        raise ValueError("context block needs at least one element")
    if len(items) > CONTEXT_ELEMENTS_MAX:
        raise BlockLimitError(f"{len(items)} context elements; the limit is {CONTEXT_ELEMENTS_MAX}")
    return {"type": "context", "elements": items}


def note(mrkdwn: str) -> list[Block]:
    """A small-print line: a context block when it fits, otherwise sections (nothing is cut)."""
    if not mrkdwn.strip():
        return []
    if len(mrkdwn) <= TEXT_OBJECT_MAX:
        return [context([mrkdwn])]
    return sections(mrkdwn)


def divider() -> Block:
    """A divider block."""
    return {"type": "divider"}


def button(
    text: str,
    action_id: str,
    value: str | None,
    style: str | None = None,
    url: str | None = None,
    confirm: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A button element; label shortened to 75 with "…", over-long ids/values raise ValueError.

    `confirm` (from `confirm_dialog`) makes Slack ask before the click is sent.
    """
    _check_id("action_id", action_id, ACTION_ID_MAX)
    if value is not None and len(value) > BUTTON_VALUE_MAX:
        raise ValueError(f"button value of {len(value)} characters; values are small refs (≤ 2000)")
    if url is not None and not 0 < len(url) <= BUTTON_URL_MAX:
        raise ValueError(f"button url must be 1..{BUTTON_URL_MAX} characters")
    if style is not None and style not in BUTTON_STYLES:
        raise ValueError(f"button style must be one of {BUTTON_STYLES}, got {style!r}")
    element: dict[str, Any] = {
        "type": "button",
        "text": plain_text(text, BUTTON_TEXT_MAX),
        "action_id": action_id,
    }
    if value is not None:
        element["value"] = value
    if style is not None:
        element["style"] = style
    if url is not None:
        element["url"] = url
    if confirm is not None:
        element["confirm"] = confirm
    return element


def confirm_dialog(
    title: str, text: str, ok: str, deny: str = "Cancel", style: str | None = None
) -> dict[str, Any]:
    """A `confirm` object from raw texts, each escaped and shortened to Slack's limits."""
    if style is not None and style not in BUTTON_STYLES:
        raise ValueError(f"confirm style must be one of {BUTTON_STYLES}, got {style!r}")
    dialog: dict[str, Any] = {
        "title": plain_text(title, CONFIRM_TITLE_MAX),
        "text": plain_text(text, CONFIRM_TEXT_MAX),
        "confirm": plain_text(ok, CONFIRM_BUTTON_MAX),
        "deny": plain_text(deny, CONFIRM_BUTTON_MAX),
    }
    if style is not None:
        dialog["style"] = style
    return dialog


def option(text: str, value: str) -> dict[str, Any]:
    """A select option: text shortened to 75 with "…"; a value over 150 characters raises ValueError."""
    if not 0 < len(value) <= OPTION_VALUE_MAX:
        raise ValueError(f"option value must be 1..{OPTION_VALUE_MAX} characters, got {len(value)}")
    return {"text": plain_text(text, OPTION_TEXT_MAX), "value": value}


def input_block(
    block_id: str,
    label: str,
    element: dict[str, Any],
    *,
    optional: bool = False,
    hint: str | None = None,
    dispatch_action: bool = False,
) -> Block:
    """An input block around `element`; label and hint shortened to Slack's 2000 characters."""
    _check_id("block_id", block_id, BLOCK_ID_MAX)
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain_text(label, INPUT_LABEL_MAX),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = plain_text(hint, INPUT_HINT_MAX)
    if dispatch_action:
        block["dispatch_action"] = True
    return block


def actions(buttons: Sequence[dict[str, Any]], block_id: str | None = None) -> list[Block]:
    """Actions blocks of at most 25 elements each (block_id gets `-2`, `-3`… on later blocks)."""
    chunks = [
        list(buttons[i : i + ACTIONS_ELEMENTS_MAX]) for i in range(0, len(buttons), ACTIONS_ELEMENTS_MAX)
    ]
    blocks: list[Block] = []
    for n, chunk in enumerate(chunks, start=1):
        ids = [e.get("action_id") for e in chunk if e.get("action_id")]
        # Slack rejects the whole message (invalid_blocks) when an action_id repeats in a block.
        if len(ids) != len(set(ids)):
            raise ValueError(f"duplicate action_id in one actions block: {ids}")
        block: Block = {"type": "actions", "elements": chunk}
        if block_id is not None:
            bid = block_id if n == 1 else f"{block_id}-{n}"
            _check_id("block_id", bid, BLOCK_ID_MAX)
            block["block_id"] = bid
        blocks.append(block)
    return blocks


def modal(
    title: str,
    blocks: Sequence[Block],
    submit: str | None = None,
    close: str | None = None,
    callback_id: str = "annobot_modal",
    private_metadata: str = "",
) -> dict[str, Any]:
    """A modal view; labels shortened to 24 with "…", 1..100 blocks else BlockLimitError."""
    if not 0 < len(blocks) <= MAX_BLOCKS_PER_VIEW:
        raise BlockLimitError(f"a modal holds 1..{MAX_BLOCKS_PER_VIEW} blocks, got {len(blocks)}")
    if len(private_metadata) > PRIVATE_METADATA_MAX:
        raise BlockLimitError(f"private_metadata of {len(private_metadata)} characters (max 3000)")
    _check_id("callback_id", callback_id, CALLBACK_ID_MAX)
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain_text(title, MODAL_TITLE_MAX),
        "blocks": list(blocks),
    }
    if submit is not None:
        view["submit"] = plain_text(submit, MODAL_SUBMIT_MAX)
    if close is not None:
        view["close"] = plain_text(close, MODAL_CLOSE_MAX)
    if private_metadata:
        view["private_metadata"] = private_metadata
    return view


def pages_modal(
    title: str, pages: Sequence[Sequence[Block]], *, cut_note: str, close: str = "Close"
) -> dict[str, Any]:
    """A modal holding the pages' blocks, at most 100; when some are left out, `cut_note` says so last."""
    blocks = [b for page in pages for b in page]
    if len(blocks) > MAX_BLOCKS_PER_VIEW:
        blocks = [*blocks[: MAX_BLOCKS_PER_VIEW - 1], *note(cut_note)]
    return modal(title, blocks, close=close)


def error_blocks(message: str) -> list[Block]:
    """An ephemeral explanation of what went wrong, escaped."""
    return sections(f":warning: {escape(message.strip()) or 'Something went wrong.'}")


def fallback_text(*parts: str, limit: int = FALLBACK_TEXT_MAX) -> str:
    """Top-level message `text` (notifications, screen readers) from raw parts, escaped."""
    return shorten(" — ".join(" ".join(p.split()) for p in parts if p.strip()), limit)


# --- pagination --------------------------------------------------------------------------------


def _break_rank(prev: Block, nxt: Block) -> int:
    """How good it is to start a new message at `nxt`: 2 = unit boundary, 1 = fine, 0 = avoid."""
    p, n = prev.get("type"), nxt.get("type")
    if p == "header":
        return 0
    if n in ("header", "divider"):
        return 2
    # Consecutive sections are usually one text split by `sections`; actions and context
    # lines belong to the block above them.
    if (p == "section" and n == "section") or n in ("actions", "context"):
        return 0
    return 1


def message_size(blocks: Sequence[Block]) -> int:
    """Characters of the blocks' compact JSON: what `paginate` keeps under MESSAGE_CHARS_MAX."""
    return sum(_size(b) for b in blocks)


def _size(block: Block) -> int:
    return len(json.dumps(block, ensure_ascii=False, separators=(",", ":")))


def paginate(
    blocks: Sequence[Block],
    limit: int = MAX_BLOCKS_PER_MESSAGE,
    max_chars: int | None = MESSAGE_CHARS_MAX,
) -> list[list[Block]]:
    """Split blocks into messages of ≤ `limit` blocks and ≤ `max_chars` JSON, breaking between units."""
    if not 0 < limit <= MAX_BLOCKS_PER_VIEW:
        raise ValueError(f"limit must be 1..{MAX_BLOCKS_PER_VIEW}")
    sizes = [_size(b) for b in blocks] if max_chars else [0] * len(blocks)
    budget = max_chars or 0
    pages: list[list[Block]] = []
    start = 0
    while start < len(blocks):
        # The furthest end both budgets allow; a page always takes at least one block.
        end, used = start + 1, sizes[start]
        while end < len(blocks) and end - start < limit and (not max_chars or used + sizes[end] <= budget):
            used += sizes[end]
            end += 1
        if end < len(blocks):
            best, best_rank = end, -1
            # Look back at most half a page for a better break than the hard one.
            for i in range(end, start + (end - start) // 2, -1):
                rank = _break_rank(blocks[i - 1], blocks[i])
                if rank > best_rank:
                    best, best_rank = i, rank
                if rank == 2:
                    break
            end = best
        pages.append(list(blocks[start:end]))
        start = end
    return pages


# --- splitting mrkdwn --------------------------------------------------------------------------

# Things a split must not cut: Slack link/mention syntax, entities, and fence markers.
_ATOM = re.compile(r"<[^<>\n]*>|&(?:[A-Za-z]+|#[0-9]+|#x[0-9A-Fa-f]+);|`{3,}")
_FENCE_RUN = re.compile(r"`{3,}")
_PARA = re.compile(r"\n(?:[ \t]*\n)+")
_LINE = re.compile(r"\n")
_WORD = re.compile(r"[ \t]+")
_OPEN = "```\n"
_CLOSE = "\n```"


def _find_cut(s: str, window: int) -> tuple[int, int]:
    """Where to end a piece of `s` no longer than `window`: (end of piece, start of the rest)."""
    atoms = []
    # Scan a bounded stretch: an atom longer than a whole section could not be kept anyway.
    for m in _ATOM.finditer(s, 0, window + SECTION_TEXT_MAX):
        if m.start() >= window:
            break
        atoms.append((m.start(), m.end()))

    def free(q: int) -> bool:
        return not any(a < q < b for a, b in atoms)

    def last(pattern: re.Pattern[str], lowest: int) -> tuple[int, int] | None:
        found = None
        for m in pattern.finditer(s, 0, window + 1):
            if m.start() > window:
                break
            if m.start() >= max(lowest, 1) and free(m.start()):
                found = (m.start(), m.end())
        return found

    half = window // 2
    for pattern, lowest in ((_PARA, half), (_LINE, half), (_WORD, 1), (_PARA, 1), (_LINE, 1)):
        cut = last(pattern, lowest)
        if cut:
            return cut
    # One enormous word: cut at the window, moved back before any atom it would split.
    q = window
    for a, b in atoms:
        if a < q < b:
            q = a
    if q <= 0:  # a single atom longer than the window cannot be kept whole
        q = window
    return q, q


def split_mrkdwn(text: str, limit: int = SECTION_TEXT_MAX) -> list[str]:
    """Split mrkdwn into pieces of at most `limit`, closing and reopening ``` across a split."""
    if limit < 40:
        raise ValueError("limit too small to hold a fence and a word")
    rest = text.strip()
    pieces: list[str] = []
    in_code = False
    while rest:
        reopen = _OPEN if in_code else ""
        if len(reopen) + len(rest) <= limit:
            pieces.append(reopen + rest)
            break
        window = limit - len(reopen)
        while True:
            cut, resume = _find_cut(rest, window)
            piece = rest[:cut].rstrip()
            ends_in_code = in_code != (len(_FENCE_RUN.findall(piece)) % 2 == 1)
            close = _CLOSE if ends_in_code else ""
            if ends_in_code and rest[resume:].startswith("```"):
                # The closing fence comes right after the cut: take it instead of an empty block.
                resume += 3
                ends_in_code = False
            if len(reopen) + len(piece) + len(close) <= limit:
                break
            window -= len(close)
        if piece:
            pieces.append(reopen + piece + close)
        in_code = ends_in_code
        rest = rest[resume:].lstrip("\n").rstrip()
    return pieces
