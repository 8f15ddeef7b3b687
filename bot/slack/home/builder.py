"""The App Home tab: guidelines with their current version, the user's recent lookups, main actions.

Pure functions: no Slack client, no I/O; every document or user string is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.config import SLACK_USER_ID
from bot.slack.blocks import kit
from bot.slack.blocks.flag_case import case_buttons
from bot.slack.blocks.kit import Block
from bot.slack.blocks.mrkdwn import escape
from bot.slack.blocks.section_link import GUIDE_SHOW_SECTION, section_ref

# The scheduled digests' part, re-exported: the home job builds with this module only.
from bot.slack.home.schedules import (  # noqa: F401
    SCHEDULES_SHOWN,
    DigestsPart,
    LastRun,
    ScheduleCard,
    SendOutcome,
    digests_blocks,
)

HOME_HELP = "home_help"
HOME_DIFF = "home_diff"
MAX_GUIDELINES = 30
MAX_LOOKUPS = 10
CASES_SHOWN = 5  # the oldest open flag cases a lead sees on the Home tab


@dataclass(frozen=True)
class LeadCases:
    """A lead's unresolved flag cases: how many, and the oldest few.

    `oldest`: (case id, project, item id, opened at, assignee or None, flags) per case.
    """

    projects: tuple[str, ...]
    count: int
    oldest: tuple[tuple[int, str, str, datetime, str | None, int], ...]
    now: datetime | None = None


def _age(opened: datetime, now: datetime | None) -> str:
    if now is None:
        return f"opened {opened:%Y-%m-%d}"
    days = max(0, (now - opened).days)
    return f"open {days} d" if days else f"opened {opened:%H:%M} UTC today"


def _user(user_id: str | None) -> str:
    if not user_id:
        return "unassigned"
    return (
        f"assigned to <@{user_id}>" if SLACK_USER_ID.fullmatch(user_id) else f"assigned to {_line(user_id)}"
    )


def lead_blocks(lead: LeadCases) -> list[Block]:
    """The lead's section: the count of unresolved cases, the oldest with their triage buttons."""
    blocks: list[Block] = [kit.header("Flag cases to triage")]
    scope = ", ".join(lead.projects)
    if not lead.count:
        return blocks + kit.note(f"No unresolved flag case in {_line(scope)}.")
    blocks += kit.note(
        f"*{lead.count}* unresolved case{'s' * (lead.count != 1)} in {_line(scope)}; the oldest below. "
        "All of them: `/flag queue`."
    )
    for case_id, project, item_id, opened, assignee, flags in lead.oldest:
        item = _line(item_id).replace("`", "'")
        text = (
            f"*Case #{case_id}* · {_line(project)} · item `{item}` · {flags} flag{'s' * (flags != 1)} · "
            f"{_age(opened, lead.now)} · {_user(assignee)}"
        )
        blocks += kit.sections(text)
        blocks += kit.actions(case_buttons(case_id), block_id=f"home-case-{case_id}")
    return blocks


def _line(text: str) -> str:
    return escape(" ".join(text.split()))


def home_view(
    guidelines: Sequence[tuple[str, str, str, datetime, list[str]]],
    lookups: Sequence[tuple[str, str | None, str | None, str | None]],
    lead: LeadCases | None = None,
    digests: DigestsPart | None = None,
) -> dict[str, Any]:
    """A Home tab view (≤ 100 blocks).

    `guidelines`: (slug, title, current version, published at, all versions);
    `lookups`: (query, slug, version, anchor) of the user's recent questions, newest first;
    `lead`: a lead's unresolved flag cases (shown first, so they are never the part cut off);
    `digests`: the scheduled digests a lead may preview and send (none for others).
    The parts are bounded (cases, schedules, guidelines and lookups shown) so that all of them fit.
    """
    blocks: list[Block] = [kit.header("Annotation guidelines")]
    blocks += kit.note("Ask with `/guide QUERY` anywhere, or mention the bot in a channel.")
    blocks += kit.actions([kit.button("How to use /guide", HOME_HELP, "help", style="primary")])
    blocks.append(kit.divider())
    if lead is not None:
        blocks += [*lead_blocks(lead), kit.divider()]
    if digests is not None:
        blocks += [*digests_blocks(digests), kit.divider()]
    if not guidelines:
        blocks += kit.sections("_No guideline is published yet._")
    for slug, title, version, published_at, versions in guidelines[:MAX_GUIDELINES]:
        text = (
            f"*{_line(title)}*  `{_line(slug)}`\n"
            f"current `v{_line(version)}` · published {published_at:%Y-%m-%d}"
        )
        block = kit.section(text)
        older = [v for v in versions if v != version]
        if older:
            # "What changed" compares the previous version with the current one.
            block["accessory"] = kit.button("What changed", HOME_DIFF, f"{slug} {older[-1]} {version}")
        blocks.append(block)
    blocks += [kit.divider(), kit.header("Your recent lookups")]
    if not lookups:
        blocks += kit.note("Nothing yet: try `/guide sarcasm`.")
    for query, slug, version, anchor in lookups[:MAX_LOOKUPS]:
        text = f"*{kit.shorten(query, 300)}*"
        if slug and anchor:
            text += f"\n`{_line(slug)}` `#{_line(anchor)}`"
        block = kit.section(text)
        if slug and version and anchor:
            block["accessory"] = kit.button(
                "Show section", GUIDE_SHOW_SECTION, section_ref(slug, version, anchor)
            )
        blocks.append(block)
    return {"type": "home", "blocks": blocks[: kit.MAX_BLOCKS_PER_VIEW]}
