"""Pure Block Kit of scheduled runs: the short line posted when a run's window holds no annotations."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.slack.blocks import kit
from bot.slack.blocks.mrkdwn import escape

PROJECT_MAX = 200  # a project name is shown shortened: the line stays one line


def empty_window_message(project: str, since: datetime | None, timezone: str) -> dict[str, Any]:
    """chat.postMessage arguments for an empty window: "no annotations since …" (local time), not a digest."""
    name = kit.shorten(project, PROJECT_MAX)
    when = (
        "yet"
        if since is None
        else f"since {since.astimezone(ZoneInfo(timezone)):%Y-%m-%d %H:%M} ({timezone})"
    )
    text = f"Quality digest for {name}: no annotations {when}."
    return {
        "text": text,
        "blocks": [kit.section(f"*Quality digest for {escape(name)}*: no annotations {escape(when)}.")],
    }
