"""Pure Block Kit of scheduled runs: the line posted for an empty window, the per-annotator thread reply."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.slack.blocks import kit
from bot.slack.blocks.mrkdwn import escape
from reports.formatters import ci, count, pct

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
        # `name` is escaped already (kit.shorten escapes); escaping it again would show "&amp;".
        "blocks": [kit.section(f"*Quality digest for {name}*: no annotations {escape(when)}.")],
    }


def annotator_details(d: dict[str, Any]) -> list[dict[str, Any]]:
    """The per-annotator thread reply under a posted digest: one line each, as messages within limits.

    Each annotator's annotations, agreement with the others' consensus, gold accuracy with its interval,
    and every alert; escaped; split into as many messages as Block Kit needs (never cut).
    """
    lines = []
    for a in d["annotators"]:
        parts = [f"{count(a['annotations'])} annotations"]
        if a["agreement_with_consensus"] is not None:
            parts.append(f"consensus {pct(a['agreement_with_consensus'])} (n={count(a['consensus_n'])})")
        if a["gold_accuracy"] is not None:
            interval = f"95% CI {ci(a['gold_ci'])}, " if a["gold_ci"] else ""
            parts.append(f"gold {pct(a['gold_accuracy'])} ({interval}n={count(a['gold_n'])})")
        name = str(a["annotator"])
        alerts = "".join(
            f"\n    :rotating_light: {kit.shorten(t.removeprefix(f'{name}: '), 500)}" for t in a["alerts"]
        )
        lines.append(f"• *{kit.shorten(name, 100)}*: {' · '.join(parts)}{alerts}")
    if not lines:
        return []
    title = f"*Annotators* — {kit.shorten(d['project'], 200)}"
    blocks = kit.sections(title + "\n" + "\n".join(lines))
    text = f"Annotators of the quality digest for {kit.shorten(d['project'], 200)}"
    return [{"text": text, "blocks": page} for page in kit.paginate(blocks)]
