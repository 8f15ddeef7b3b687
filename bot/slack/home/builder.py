"""The App Home tab: guidelines with their current version, the user's recent lookups, main actions.

Pure functions: no Slack client, no I/O; every document or user string is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.slack.blocks import kit
from bot.slack.blocks.kit import Block
from bot.slack.blocks.mrkdwn import escape
from bot.slack.blocks.section_link import GUIDE_SHOW_SECTION, section_ref

HOME_HELP = "home_help"
HOME_DIFF = "home_diff"
MAX_GUIDELINES = 30
MAX_LOOKUPS = 10


def _line(text: str) -> str:
    return escape(" ".join(text.split()))


def home_view(
    guidelines: Sequence[tuple[str, str, str, datetime, list[str]]],
    lookups: Sequence[tuple[str, str | None, str | None, str | None]],
) -> dict[str, Any]:
    """A Home tab view (≤ 100 blocks).

    `guidelines`: (slug, title, current version, published at, all versions);
    `lookups`: (query, slug, version, anchor) of the user's recent questions, newest first.
    """
    blocks: list[Block] = [kit.header("Annotation guidelines")]
    blocks += kit.note("Ask with `/guide QUERY` anywhere, or mention the bot in a channel.")
    blocks += kit.actions([kit.button("How to use /guide", HOME_HELP, "help", style="primary")])
    blocks.append(kit.divider())
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
