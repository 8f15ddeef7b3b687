"""What every answer job returns: Block Kit pages and their notification text."""

from __future__ import annotations

from dataclasses import dataclass

from bot.slack.blocks.kit import Block

Page = list[Block]


@dataclass(frozen=True)
class Step:
    """A step to record (plain data: it crosses from a worker process)."""

    walk_id: str
    path: tuple[int, ...]
    tree: str
    version: str
    node: str
    outcome: str | None


@dataclass(frozen=True)
class Answer:
    """Pages of blocks plus the notification text for them."""

    pages: list[Page]
    text: str
    # (user_id, query, guideline, anchor) to remember for App Home, for searches.
    lookup: tuple[str, str, str | None, str | None] | None = None
    # A decision-tree step reached by this answer (`/guide tree SLUG/TREE`), to record.
    step: Step | None = None
