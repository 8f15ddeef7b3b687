"""Flag figures as mrkdwn, shared by the `/flag stats` reply and the digest message.

Pure, from the flag figures JSON (bot.jobs.flag_figures; the digest's `flags` section). Every name,
title, item id and label is user or document text: each piece is cut and escaped by `kit.shorten`
before it is joined, so a line is bounded whatever the data holds.
"""

from __future__ import annotations

from typing import Any

from bot.slack.blocks import kit
from bot.slack.blocks.section_link import GUIDE_SHOW_SECTION
from reports.formatters import count, duration, num

MAX_REASONS = 8
MAX_VERSIONS = 3
TITLE_MAX = 150
LABEL_MAX = 150
ITEM_MAX = 80
COMPACT_MAX = 100


def _versions(versions: list[str]) -> str:
    """'v1.0.0, v1.1.0' (the newest MAX_VERSIONS, and how many more)."""
    if not versions:
        return ""
    shown = ", ".join(f"v{v}" for v in versions[-MAX_VERSIONS:])
    more = len(versions) - MAX_VERSIONS
    return shown + (f" (+{more} older)" if more > 0 else "")


def plural(n: int, word: str) -> str:
    """'1 flag', '2 flags'."""
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


def spot_text(rank: int, s: dict[str, Any], *, compact: bool = False) -> str:
    """One hot spot: its title (or slug#anchor), where it is, score, flags, open cases, median wait.

    `compact` (the digest message): a shorter title and no line for the section's id and versions.
    """
    label = kit.shorten(s["label"], COMPACT_MAX if compact else LABEL_MAX)
    title = kit.shorten(s["title"], COMPACT_MAX if compact else TITLE_MAX) if s.get("title") else label
    where = (
        f"`{label}` · {kit.shorten(_versions(s['versions']), 120)}"
        if s.get("title")
        else kit.shorten(_versions(s["versions"]), 120)
    )
    figures = (
        f"score {num(s['score'], 2)} · {plural(s['flags'], 'flag')} · {count(s['open_cases'])} open"
        f" of {plural(s['cases'], 'case')}"
    )
    if s["median_seconds_to_resolution"] is not None:
        figures += f" · resolved in {duration(s['median_seconds_to_resolution'])} (median)"
    if s["guideline_must_change"]:
        figures += f" · {count(s['guideline_must_change'])} said the guideline must change"
    head = f"*{rank}. {title}*" if rank else f"*{title}*"
    return "\n".join(p for p in (head, "" if compact else where, figures) if p)


def spot_button(s: dict[str, Any]) -> dict[str, Any] | None:
    """A Show section button for a hot spot with a link (a section in the store), else None."""
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
