"""Block Kit checks shared by the tests: slack_sdk validation plus what it skips, and escaping."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from slack_sdk.models.blocks import Block as SdkBlock

from bot.slack.blocks import kit

EVIL = "<!channel> <!here> <@U123> & <https://x|y>"
RAW = ("<!channel>", "<!here>", "<@U123>", "<https://x|y>", "<!everyone>")
_ALLOWED_ANGLE = re.compile(r"<(?:https?://|mailto:)[^<>|\s]*(?:\|[^<>]*)?>")
_BARE_AMP = re.compile(r"&(?!amp;|lt;|gt;)")


def texts(node: Any) -> Iterator[tuple[str, str]]:
    """Every (type, text) of the text objects inside blocks."""
    if isinstance(node, dict):
        if node.get("type") in ("mrkdwn", "plain_text") and isinstance(node.get("text"), str):
            yield node["type"], node["text"]
        for value in node.values():
            yield from texts(value)
    elif isinstance(node, list):
        for item in node:
            yield from texts(item)


def assert_no_injection(blocks: list[dict[str, Any]], allowed_mentions: tuple[str, ...] = ()) -> None:
    """No raw control sequence in any text field; `<…>` only for our links and allowed mentions."""
    for kind, text in texts(blocks):
        stripped = _ALLOWED_ANGLE.sub("", text)
        for mention in allowed_mentions:
            stripped = stripped.replace(mention, "")
        for raw in RAW:
            assert raw not in stripped, (kind, text)
        assert "<" not in stripped, (kind, text)
        assert ">" not in re.sub(r"(?m)^>", "", stripped), (kind, text)
        assert not _BARE_AMP.search(text), (kind, text)


def validate_blocks(blocks: list[dict[str, Any]]) -> None:
    """Each block passes slack_sdk validation (plus what it skips); block_ids unique."""
    ids = [b["block_id"] for b in blocks if "block_id" in b]
    assert len(ids) == len(set(ids))
    for block in blocks:
        model = SdkBlock.parse(block)
        assert model is not None, block
        model.to_dict()
        if block["type"] == "context":
            assert all(len(e.get("text", "")) <= kit.TEXT_OBJECT_MAX for e in block["elements"])
        if block["type"] == "actions":
            action_ids = [e["action_id"] for e in block["elements"]]
            assert len(action_ids) == len(set(action_ids))


def validate_message(blocks: list[dict[str, Any]]) -> None:
    """One message: at most 50 blocks (unchecked by the SDK), within the total size, each block valid."""
    assert 0 < len(blocks) <= kit.MAX_BLOCKS_PER_MESSAGE
    assert kit.message_size(blocks) <= kit.MESSAGE_CHARS_MAX  # msg_blocks_too_long
    validate_blocks(blocks)


def validate_block(block: dict[str, Any]) -> None:
    """One block passes slack_sdk validation plus what it skips."""
    validate_blocks([block])
