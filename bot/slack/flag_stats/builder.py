"""Block Kit reply of `/flag stats [PROJECT]`: guideline hot spots with Show section buttons, the figures.

Pure: built from the flag figures JSON (bot.jobs.flag_figures, the digest's `flags` section shape).
Bounded by construction: at most MAX_SPOTS sections, each line cut before escaping, titles and labels
shortened, reasons capped; every name, title, item id and label is user or document text and escaped.
"""

from __future__ import annotations

from typing import Any

from bot.slack.blocks import kit
from bot.slack.blocks.flag_figures import figures_text, plural, reasons_text, spot_button, spot_text
from bot.slack.blocks.kit import Block
from reports.formatters import num

MAX_SPOTS = 10


def stats_blocks(f: dict[str, Any] | None, project: str | None, reason: str | None = None) -> list[Block]:
    """The `/flag stats` reply; `f` None (no flags) shows `reason`."""
    scope = project if project is not None else "all projects"
    blocks: list[Block] = [kit.header(f"Flag hot spots — {scope}")]
    if f is None:
        blocks += kit.sections(kit.shorten(reason or "No flags yet.", 500))
        return blocks
    blocks.append(
        kit.context(
            [
                kit.shorten(
                    f"{f['since'][:10]} to {f['until'][:10]} · flags weighted by reason, "
                    f"halving every {num(f['scoring']['half_life_days'], 0)} days",
                    300,
                )
            ]
        )
    )
    blocks.append(kit.section(figures_text(f)))
    spots = f["hot_spots"][:MAX_SPOTS]
    if spots:
        blocks.append(kit.section("*Guideline sections flagged most*"))
        for i, s in enumerate(spots, start=1):
            blocks.append(kit.section(spot_text(i, s), accessory=spot_button(s)))
        rest = f["other_sections"]
        hidden = rest["sections"] + len(f["hot_spots"]) - len(spots)
        if hidden > 0:
            extra = rest["flags"] + sum(s["flags"] for s in f["hot_spots"][MAX_SPOTS:])
            blocks.append(
                kit.context([f"…and {plural(hidden, 'more section')} with {plural(extra, 'flag')}"])
            )
    else:
        blocks.append(kit.section("No flag in this window names a guideline section."))
    loose = f["no_section"]
    if loose is not None:
        blocks.append(
            kit.section(spot_text(0, {**loose, "title": None, "label": "(no section)", "versions": []}))
        )
    if f["reasons"]:
        blocks.append(kit.context([reasons_text(f)]))
    return blocks
