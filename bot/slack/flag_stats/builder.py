"""Block Kit reply of `/flag stats [PROJECT]`: guideline hot spots with Show section buttons, the figures.

Pure: built from the flag figures JSON (bot.jobs.flag_figures, the digest's `flags` section shape).
Bounded by construction: at most MAX_SPOTS sections, each line cut before escaping, titles and labels
shortened, reasons capped; every name, title, item id and label is user or document text and escaped.
"""

from __future__ import annotations

from typing import Any

from bot.slack.blocks import kit
from bot.slack.blocks.kit import Block
from bot.slack.blocks.section_link import GUIDE_SHOW_SECTION
from reports.formatters import count, duration, num

MAX_SPOTS = 10
MAX_REASONS = 8
MAX_VERSIONS = 3
TITLE_MAX = 150
LABEL_MAX = 150
ITEM_MAX = 80


def _versions(versions: list[str]) -> str:
    """'v1.0.0, v1.1.0' (the newest MAX_VERSIONS, and how many more)."""
    if not versions:
        return ""
    shown = ", ".join(f"v{v}" for v in versions[-MAX_VERSIONS:])
    more = len(versions) - MAX_VERSIONS
    return shown + (f" (+{more} older)" if more > 0 else "")


def _plural(n: int, word: str) -> str:
    return f"{count(n)} {word}{'s' * (n != 1)}"


def figures_text(f: dict[str, Any]) -> str:
    """'*Open cases* 2 · *Filed* 5 · *Resolved* 3 · *Median time to resolution* 3.0 days' and the oldest."""
    median = f["median_seconds_to_resolution"]
    why = f["na_reasons"].get("median_seconds_to_resolution", "")
    lines = [
        f"*Open cases* {count(f['open_cases'])} · *Filed* {count(f['filed'])} · "
        f"*Resolved* {count(f['resolved'])} · *Median time to resolution* "
        + (duration(median) if median is not None else f"n/a ({kit.shorten(why, 100)})")
    ]
    oldest = f["oldest_open"]
    if oldest is not None:
        lines.append(
            f"*Oldest open* case #{kit.shorten(str(oldest['case_id']), 20)}, item "
            f"`{kit.shorten(oldest['item_id'], ITEM_MAX)}`, waiting {duration(oldest['age_seconds'])}"
        )
    return "\n".join(lines)


def spot_text(rank: int, s: dict[str, Any]) -> str:
    """One hot spot: its title (or slug#anchor), where it is, score, flags, open cases, median wait."""
    label = kit.shorten(s["label"], LABEL_MAX)
    title = kit.shorten(s["title"], TITLE_MAX) if s.get("title") else label
    where = (
        f"`{label}` · {kit.shorten(_versions(s['versions']), 120)}"
        if s.get("title")
        else kit.shorten(_versions(s["versions"]), 120)
    )
    figures = (
        f"score {num(s['score'], 2)} · {_plural(s['flags'], 'flag')} · {count(s['open_cases'])} open"
        f" of {_plural(s['cases'], 'case')}"
    )
    if s["median_seconds_to_resolution"] is not None:
        figures += f" · resolved in {duration(s['median_seconds_to_resolution'])} (median)"
    if s["guideline_must_change"]:
        figures += f" · {count(s['guideline_must_change'])} said the guideline must change"
    head = f"*{rank}. {title}*" if rank else f"*{title}*"
    return "\n".join(p for p in (head, where, figures) if p)


def _button(s: dict[str, Any]) -> dict[str, Any] | None:
    link = s.get("link")
    if not link or len(link) > kit.BUTTON_VALUE_MAX:
        return None
    return kit.button("Show section", GUIDE_SHOW_SECTION, link)


def reasons_text(f: dict[str, Any]) -> str:
    """'Reasons: Unclear rules 3 · Other 1' (the first MAX_REASONS, and how many more)."""
    reasons = f["reasons"]
    parts = [
        f"{kit.shorten(r.get('label', r['reason']), 60)} {count(r['flags'])}" for r in reasons[:MAX_REASONS]
    ]
    more = len(reasons) - MAX_REASONS
    return "Reasons: " + " · ".join(parts) + (f" · +{more} more" if more > 0 else "")


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
            blocks.append(kit.section(spot_text(i, s), accessory=_button(s)))
        rest = f["other_sections"]
        hidden = rest["sections"] + len(f["hot_spots"]) - len(spots)
        if hidden > 0:
            extra = rest["flags"] + sum(s["flags"] for s in f["hot_spots"][MAX_SPOTS:])
            blocks.append(
                kit.context([f"…and {_plural(hidden, 'more section')} with {_plural(extra, 'flag')}"])
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
