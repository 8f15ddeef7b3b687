"""Pure Block Kit of `/quality`: the digest pages with a **Post to channel** button, the empty line, help."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.slack.blocks import kit
from bot.slack.blocks.kit import Block
from bot.slack.blocks.mrkdwn import escape

QUALITY_POST = "quality_post"
_CHANNEL = re.compile(r"[CDG][A-Z0-9]{2,30}")
PROJECT_MAX = 200  # a project name is shown shortened: the line stays one line
USAGE = "/quality [PROJECT] [7d|24h|since YYYY-MM-DD]"
HELP_LINES = (
    f"`{USAGE}`: the quality digest of PROJECT (the only configured one when omitted) over the last "
    "7 days (default), N days (`3d`), N hours (`24h`) or since a local date, shown only to you.",
    "*Post to channel* under the digest shares it in the channel (leads and managers of the project).",
    "`/quality help`: this message.",
)


def post_value(project: str, start: datetime, end: datetime) -> str:
    """The button's value: the project and the window's instants, so a click posts the same digest."""
    return json.dumps({"p": project, "s": start.isoformat(), "e": end.isoformat()}, separators=(",", ":"))


def parse_post_value(value: str) -> tuple[str, datetime, datetime]:
    """(project, start, end) from a button value; ValueError when it is not one post_value made."""
    data = json.loads(value)
    if not isinstance(data, dict):
        raise ValueError("not an object")
    project, start, end = data.get("p"), data.get("s"), data.get("e")
    if not all(isinstance(x, str) for x in (project, start, end)):
        raise ValueError("missing fields")
    s, e = datetime.fromisoformat(start), datetime.fromisoformat(end)
    if s.tzinfo is None or e.tzinfo is None or not s < e:
        raise ValueError("not an aware window")
    return project, s, e


def empty_message(project: str, since: datetime, timezone: str) -> dict[str, Any]:
    """chat.postMessage arguments for an empty window: "no annotations since …" in local time."""
    name = kit.shorten(project, PROJECT_MAX)
    when = f"since {since.astimezone(ZoneInfo(timezone)):%Y-%m-%d %H:%M} ({timezone})"
    text = f"Quality digest for {name}: no annotations {when}."
    return {
        "text": text,
        "blocks": [kit.section(f"*Quality digest for {escape(name)}*: no annotations {escape(when)}.")],
    }


def answer_pages(message: dict[str, Any], value: str | None) -> list[list[Block]]:
    """The message's blocks as ephemeral pages within Slack's limits, the Post button (if any) last."""
    blocks: list[Block] = list(message["blocks"])
    if value is not None and len(value) <= kit.BUTTON_VALUE_MAX:
        blocks += kit.actions([kit.button("Post to channel", QUALITY_POST, value, "primary")])
    return kit.paginate(blocks)


def help_blocks() -> list[Block]:
    """How to use `/quality`."""
    return kit.sections("*How to use `/quality`*\n" + "\n".join(f"• {line}" for line in HELP_LINES))


def posted_blocks(channel: str) -> list[Block]:
    """The clicker's confirmation that the digest is in the channel."""
    # A channel id as Slack sends it becomes a link; anything else is not markup we write.
    where = f"<#{channel}>" if _CHANNEL.fullmatch(channel) else "the channel"
    return kit.sections(f":white_check_mark: Posted the digest to {where}.")
