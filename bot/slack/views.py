"""Showing an answer in a modal when there is no message to answer (buttons in App Home)."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.jobs.guide import Answer
from bot.slack.blocks import kit


def answer_modal(result: Answer, title: str = "Guideline") -> dict[str, Any]:
    """A modal holding the answer's blocks, at most 100; a note says when the rest was left out."""
    blocks = [b for page in result.pages for b in page]
    if len(blocks) > kit.MAX_BLOCKS_PER_VIEW:
        blocks = [
            *blocks[: kit.MAX_BLOCKS_PER_VIEW - 1],
            *kit.note("_Continues: use `/guide` in a channel._"),
        ]
    return kit.modal(title, blocks, close="Close")


def show_without_response_url(client: WebClient, body: dict[str, Any], result: Answer) -> None:
    """Open the answer as a modal with the interaction's trigger_id."""
    client.views_open(trigger_id=body["trigger_id"], view=answer_modal(result))
