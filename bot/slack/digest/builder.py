"""Block Kit message for the quality digest, built from the digest JSON contract (docs/digest.md).

Pure: no Slack client, no I/O. Every name, label and section title comes from user data and is escaped.
The message is bounded by construction: three alerts, three confusions, at most MAX_SECTIONS section
buttons and MAX_FLAG_SPOTS flag hot spots, whatever the digest holds, and every text goes through the
kit's limit-aware helpers.
"""

from __future__ import annotations

from typing import Any

from bot.slack.blocks import kit
from bot.slack.blocks.flag_figures import figures_text, spot_button, spot_text
from bot.slack.blocks.kit import Block
from bot.slack.blocks.mrkdwn import escape
from bot.slack.guide.builder import GUIDE_SHOW_SECTION, section_ref
from reports.digest.model import Digest
from reports.formatters import arrow, ci, count, num, pct, signed
from reports.render import as_json

DIGEST_OPEN_REPORT = "digest_open_report"
MAX_ALERTS = 3
MAX_CONFUSIONS = 3
MAX_SECTIONS = 5
MAX_FLAG_SPOTS = 3
BAND_EMOJI = {"reliable": ":large_green_circle:", "tentative": ":large_yellow_circle:", "low": ":red_circle:"}


def headline_text(d: dict[str, Any]) -> str:
    """'*Agreement* α 0.812 ↑ (reliable) · *Gold accuracy* 91% (95% CI 89–93%) · *Volume* 12,400'."""
    h = d["headline"]
    if h["alpha"] is None:
        alpha = f"*Agreement* α n/a ({escape(h['alpha_reason'] or 'no data')})"
    else:
        prev = f", was {num(h['alpha_previous'])}" if h["alpha_previous"] is not None else ""
        emoji = BAND_EMOJI.get(h["alpha_band"], "")
        value = f"{num(h['alpha'])} {arrow(h['trend'])}".rstrip()  # no arrow without a previous window
        alpha = f"{emoji} *Agreement* α {value} ({h['alpha_band']}{prev})"
    gold = f"*Gold accuracy* {pct(h['gold_accuracy'])}"
    if h["gold_ci"]:
        gold += f" (95% CI {ci(h['gold_ci'])}, n={count(h['gold_n'])})"
    c = d["counts"]
    volume = (
        f"*Volume* {count(c['annotations'])} annotations · {count(c['items'])} items · "
        f"{c['annotators']} annotators"
    )
    return "\n".join([alpha, gold, volume])


def digest_blocks(digest: Digest | dict[str, Any], report_url: str | None = None) -> list[Block]:
    """The digest as one message: headline, top alerts, top confusions, guideline sections, report link."""
    d = as_json(digest)
    w = d["window"]
    blocks: list[Block] = [kit.header(f"Quality digest — {d['project']}")]
    blocks.append(kit.context([escape(f"{w['start'][:10]} to {w['end'][:10]}")]))
    blocks += kit.sections(headline_text(d))
    alerts = d["headline"]["alerts"][:MAX_ALERTS]
    if alerts:
        lines = "\n".join(f"{i}. {escape(a)}" for i, a in enumerate(alerts, start=1))
        more = len({a["annotator"] for a in d["drift"]}) - len(alerts)
        tail = f"\n_…and {more} more annotator(s) flagged in the report_" if more > 0 else ""
        blocks += kit.sections(f"*:rotating_light: Act on these*\n{lines}{tail}")
    else:
        blocks += kit.sections(":white_check_mark: No drift alerts in this window.")
    conf = d["confusions"][:MAX_CONFUSIONS]
    if conf:
        multi = len(d["tasks"]) > 1
        lines = "\n".join(
            f"• *{escape(c['label_a'])}* ↔ *{escape(c['label_b'])}*"
            + (f" ({escape(c['task'])})" if multi else "")
            + f": {num(c['observed'], 0)} pairings ({num(c['expected'], 0)} expected by chance)"
            for c in conf
        )
        blocks += kit.sections(f"*Top confusions*\n{lines}")
    for r in d["releases"][:MAX_CONFUSIONS]:
        if r["change"] is not None:
            interval = f" (95% CI {signed(r['ci'][0])} to {signed(r['ci'][1])})" if r["ci"] else ""
            before, after = num(r["before"]["value"]), num(r["after"]["value"])
            text = f"α {before} → {after}, change {signed(r['change'])}{interval}"
        else:
            text = f"n/a: {r['reason']}"
        blocks.append(kit.context([escape(f"Release {r['date']} ({r['task']}): {text}")]))
    involved = d["guideline"]["sections"][:MAX_SECTIONS]
    if involved:
        blocks += kit.sections("*Guideline sections involved*")
        for s in involved:
            value = section_ref(s["slug"], s["version"] or "", s["anchor"])
            text = f"{escape(kit.shorten(s['title'], 200))} — _{escape(kit.shorten(s['why'], 200))}_"
            blocks.append(kit.section(text, accessory=kit.button("Show section", GUIDE_SHOW_SECTION, value)))
    blocks += flags_blocks(d.get("flags"))
    if report_url:
        blocks += kit.actions(
            [kit.button("Open full report", DIGEST_OPEN_REPORT, None, "primary", report_url)]
        )
    return blocks


def flags_blocks(f: dict[str, Any] | None) -> list[Block]:
    """The `flags` section: the window's figures and the top hot spots with Show section buttons."""
    if f is None:  # no flags at all: nothing to say in the morning message (the report says why)
        return []
    blocks = [kit.section(f"*:triangular_flag_on_post: Flags*\n{figures_text(f)}")]
    for i, spot in enumerate(f["hot_spots"][:MAX_FLAG_SPOTS], start=1):
        blocks.append(kit.section(spot_text(i, spot), accessory=spot_button(spot)))
    return blocks
