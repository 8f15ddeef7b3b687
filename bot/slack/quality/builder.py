"""Pure Block Kit of `/quality`: the digest pages with a **Post to channel** button, the empty line, help,
and the answers of `/quality schedule` (the list of schedules, a change's confirmation)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.config import SLACK_USER_ID
from bot.slack.blocks import kit
from bot.slack.blocks.kit import Block
from bot.slack.blocks.mrkdwn import escape
from reports.schedule.model import LEADS_DM, Schedule

QUALITY_POST = "quality_post"
_CHANNEL = re.compile(r"[CDG][A-Z0-9]{2,30}")
PROJECT_MAX = 200  # a project name is shown shortened: the line stays one line
USAGE = "/quality [PROJECT] [7d|24h|since YYYY-MM-DD]"
SCHEDULE_USAGE = (
    '/quality schedule add NAME PROJECT[,PROJECT] "CRON" [TIME_ZONE] #channel|leads-dm… '
    "[window=1d] [holidays=DE] [charts=off] [html=off] [grace=6h] [working-days]"
)
HELP_LINES = (
    f"`{USAGE}`: the quality digest of PROJECT (the only configured one when omitted) over the last "
    "7 days (default), N days (`3d`), N hours (`24h`) or since a local date, shown only to you.",
    "*Post to channel* under the digest shares it in the channel (leads and managers of the project).",
    "`/quality schedule list`: the digest schedules (config and Slack), their targets and next run.",
    f"`{SCHEDULE_USAGE}`: schedule a digest (leads of its projects), "
    'e.g. `/quality schedule add morning p "0 9 * * 1-5" Europe/Berlin #qa working-days holidays=DE`.',
    "`/quality schedule pause|resume|remove NAME`: a schedule added from Slack (config ones are read-only); "
    "runs due while paused are skipped, never posted late.",
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


def already_posted_blocks(channel: str, by: str, at: datetime, posted: bool) -> list[Block]:
    """The clicker's answer when this digest is in the channel already (or being posted)."""
    where = f"<#{channel}>" if _CHANNEL.fullmatch(channel) else "the channel"
    who = f"<@{by}>" if SLACK_USER_ID.fullmatch(by) else "someone"
    when = f"{at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    if posted:
        return kit.sections(
            f"This digest is in {where} already: {who} posted it at {when}. Nothing posted again."
        )
    return kit.sections(f"{who} is posting this digest to {where} (since {when}). Nothing posted again.")


# --- /quality schedule ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduleLine:
    """One schedule as `/quality schedule list` shows it."""

    schedule: Schedule
    source: str  # "config" or "slack"
    paused: bool
    created_by: str | None
    next_run: datetime | None


def _target_text(target: str) -> str:
    # Targets are validated channel ids or leads-dm: a channel id becomes Slack's own link.
    return "each lead's DM" if target == LEADS_DM else f"<#{escape(target)}>"


def _schedule_text(line: ScheduleLine) -> str:
    s = line.schedule
    if line.source == "config":
        source = "config file (read-only here)"
    elif line.created_by and SLACK_USER_ID.fullmatch(line.created_by):
        source = f"added from Slack by <@{line.created_by}>"
    else:
        source = "added from Slack"
    state = " · :double_vertical_bar: *paused*" if line.paused else ""
    projects = ", ".join(kit.shorten(p, PROJECT_MAX) for p in s.projects)
    targets = ", ".join(_target_text(t) for t in s.targets)
    when = [f"`{escape(s.cron.expr)}` {escape(s.timezone)}"]
    if s.working_days_only:
        when.append("working days")
    if s.holidays:
        region = f"-{s.holidays_subdivision}" if s.holidays_subdivision else ""
        when.append(f"no posts on {escape(s.holidays + region)} holidays")
    hours = s.grace.total_seconds() / 3600
    what = (
        f"window {s.window} · charts {'on' if s.charts else 'off'} · HTML {'on' if s.html else 'off'}"
        f" · grace {hours:g}h"
    )
    if line.next_run is not None:
        local = line.next_run.astimezone(s.zone)
        nxt = f"next run {local:%a %Y-%m-%d %H:%M} {escape(s.timezone)} ({line.next_run.astimezone(UTC):%H:%M} UTC)"
    else:
        nxt = "no run while paused" if line.paused else "no run in the next 400 days"
    return f"*{escape(s.name)}* · {source}{state}\n{projects} → {targets}\n{' · '.join(when)} · {what}\n{nxt}"


def schedule_list_pages(lines: list[ScheduleLine]) -> list[list[Block]]:
    """The schedules as ephemeral pages within Slack's limits (one section, or more, per schedule)."""
    if not lines:
        return [kit.sections(f"No digest schedules yet. Add one: `{escape(SCHEDULE_USAGE)}`")]
    blocks: list[Block] = kit.sections(f"*Digest schedules* ({len(lines)})")
    for line in lines:
        blocks.append(kit.divider())
        blocks += kit.sections(_schedule_text(line))
    return kit.paginate(blocks)


def schedule_done_blocks(message: str) -> list[Block]:
    """A change's confirmation (the message is the bot's own text, names being validated slugs)."""
    return kit.sections(f":white_check_mark: {escape(message)}")


def schedule_help_blocks() -> list[Block]:
    """How to use `/quality schedule`."""
    lines = [line for line in HELP_LINES if "schedule" in line]
    return kit.sections("*How to use `/quality schedule`*\n" + "\n".join(f"• {line}" for line in lines))
