"""Block Kit message for the quality digest, built from the digest JSON contract (docs/digest.md).

Pure: no Slack client, no I/O. Every name, label and section title comes from user data and is escaped.
The message is bounded by construction: at most MAX_ALERT_LINES annotator lines within ALERT_CHARS
(then a count of the rest, pointing at the report), three confusions, at most MAX_SECTIONS section
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
MAX_ALERT_LINES = 15
ALERT_LINE_MAX = 400  # one annotator's line: their alerts, shortened at a word
ALERT_CHARS = 3500  # all the lines together, so the message stays under kit.MESSAGE_CHARS_MAX
FALLBACK_MAX = 600
MAX_CONFUSIONS = 3
MAX_SECTIONS = 5
MAX_SPAN_TASKS = 3
MAX_LEFT_OUT = 3
MAX_FLAG_SPOTS = 3
FLAG_CHARS = 1800  # the flags part's share of kit.MESSAGE_CHARS_MAX beside the worst of the rest
FLAG_MORE_CHARS = 120  # kept for the line that points at the report
MAX_QUESTIONS = 3
QUESTION_MAX = 150  # one unanswered question, shortened at a word (about 700 characters for the part)
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
    if h["alpha"] is not None and h.get("alpha_left_out"):
        names = ", ".join(kit.shorten(x["task"], 60) for x in h["alpha_left_out"][:MAX_LEFT_OUT])
        more = len(h["alpha_left_out"]) - MAX_LEFT_OUT
        alpha += f" — leaves out {names}" + (f" and {more} more" if more > 0 else "")
    lines = [alpha, *_span_lines(d)]
    c = d["counts"]
    volume = (
        f"*Volume* {count(c['annotations'])} annotations · {count(c['items'])} items · "
        f"{c['annotators']} annotators"
    )
    return "\n".join([*lines, gold, volume])


def _span_lines(d: dict[str, Any]) -> list[str]:
    """'*Span agreement* (ner) overlap F1 0.812 · exact F1 0.640 · 40 item pairs', MAX_SPAN_TASKS at most."""
    out = []
    for t in [t for t in d["tasks"] if t.get("span_task")][:MAX_SPAN_TASKS]:
        s = t["spans"]
        pairs = s["item_pairs"] - s["empty_item_pairs"]
        out.append(
            f"*Span agreement* ({kit.shorten(t['task'], 60)}) overlap F1 {num(s['overlap_f1'])} · "
            f"exact F1 {num(s['exact_f1'])} · {count(pairs)} item pairs"
        )
    return out


def _alert_lines(d: dict[str, Any]) -> tuple[list[str], int]:
    """One escaped line per annotator with an alert, most severe first; and how many did not fit."""
    order = {a: i for i, a in enumerate(dict.fromkeys(x["annotator"] for x in d["drift"]))}
    flagged = [a for a in d["annotators"] if a["alerts"]]
    flagged.sort(key=lambda a: (order.get(a["annotator"], len(order)), str(a["annotator"])))
    lines: list[str] = []
    used = 0
    for a in flagged[:MAX_ALERT_LINES]:
        name = str(a["annotator"])
        # The sentences open with the annotator's name; the line names them once.
        said = "; ".join(t.removeprefix(f"{name}: ") for t in a["alerts"])
        line = f"• *{kit.shorten(name, 100)}*: {kit.shorten(said, ALERT_LINE_MAX)}"
        if lines and used + len(line) > ALERT_CHARS:
            break
        lines.append(line)
        used += len(line) + 1
    return lines, len(flagged) - len(lines)


def _versions(d: dict[str, Any]) -> str | None:
    """'Guideline product-sentiment v1.1.0 (annotations made under v1.0.0, v1.1.0)', escaped."""
    current = sorted({(t["slug"], t["version"]) for t in d["guideline"]["tasks"].values() if t["slug"]})
    if not current:
        return None
    named = ", ".join(
        f"{kit.shorten(slug, 100)} v{kit.shorten(version or '?', 40)}" for slug, version in current
    )
    seen = d["guideline"]["versions_seen"]
    made = (
        f" (annotations made under {', '.join('v' + kit.shorten(v, 40) for v in seen[:6])})" if seen else ""
    )
    return f"Guideline {named}{made}"


def fallback_text(digest: Digest | dict[str, Any]) -> str:
    """The message's plain `text` (notifications, screen readers, clients without blocks), escaped."""
    d = as_json(digest)
    h, w = d["headline"], d["window"]
    alpha = f"α {num(h['alpha'])} ({h['alpha_band']})" if h["alpha"] is not None else "α n/a"
    gold = f"gold accuracy {pct(h['gold_accuracy'])}" if h["gold_accuracy"] is not None else "no gold"
    alerted = sum(1 for a in d["annotators"] if a["alerts"])
    alerts = f"{alerted} annotator(s) with alerts" if alerted else "no alerts"
    text = (
        f"Quality digest for {kit.shorten(d['project'], 200)}, {w['start'][:10]} to {w['end'][:10]}: "
        f"agreement {alpha}, {gold}, {alerts}"
    )
    return text[:FALLBACK_MAX]


def digest_message(
    digest: Digest | dict[str, Any], report_url: str | None = None, report_hint: str | None = None
) -> dict[str, Any]:
    """The chat.postMessage arguments: `text` (the fallback) and `blocks` (see digest_blocks)."""
    return {"text": fallback_text(digest), "blocks": digest_blocks(digest, report_url, report_hint)}


def digest_blocks(
    digest: Digest | dict[str, Any], report_url: str | None = None, report_hint: str | None = None
) -> list[Block]:
    """The digest as one message: headline, annotators with alerts, confusions, sections, the report.

    `report_url` gives an "Open full report" button; without it, `report_hint` (raw text, e.g. where the
    saved report is) or the CLI command that writes the full report is shown instead.
    """
    d = as_json(digest)
    w = d["window"]
    blocks: list[Block] = [kit.header(f"Quality digest — {d['project']}")]
    window = escape(f"{w['start'][:10]} to {w['end'][:10]}")
    versions = _versions(d)
    blocks.append(kit.context([window, versions] if versions else [window]))
    blocks += kit.sections(headline_text(d))
    lines, rest = _alert_lines(d)
    if lines:
        tail = f"\n_…and {rest} more annotator(s) with alerts: see the full report_" if rest else ""
        blocks += kit.sections("*:rotating_light: Act on these*\n" + "\n".join(lines) + tail)
    else:
        blocks += kit.sections(":white_check_mark: No alerts in this window.")
    conf = d["confusions"][:MAX_CONFUSIONS]
    if conf:
        multi = len(d["tasks"]) > 1
        lines = "\n".join(
            f"• *{escape(c['label_a'])}* ↔ *{escape(c['label_b'])}*"
            + (f" ({escape(c['task'])})" if multi else "")
            + f": {num(c['observed'], 1)} pairings ({num(c['expected'], 1)} expected from label frequencies)"
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
            text = f"{kit.shorten(s['title'], 200)} — _{kit.shorten(s['why'], 200)}_"  # shorten escapes
            blocks.append(kit.section(text, accessory=kit.button("Show section", GUIDE_SHOW_SECTION, value)))
    blocks += flags_blocks(d.get("flags"))
    blocks += questions_blocks(d.get("questions"))
    if report_url:
        blocks += kit.actions(
            [kit.button("Open full report", DIGEST_OPEN_REPORT, None, "primary", report_url)]
        )
    else:
        hint = report_hint or f"annobot digest --project {d['project']} --format html --save"
        blocks.append(kit.context([f"Full report: `{kit.shorten(hint, 500)}`"]))
    return blocks


def flags_blocks(f: dict[str, Any] | None) -> list[Block]:
    """The `flags` section: the window's figures and up to MAX_FLAG_SPOTS hot spots (Show section
    buttons) within FLAG_CHARS, so the rest of the message keeps its budget; the rest is in the report."""
    if f is None:  # no flags at all: nothing to say in the morning message (the report says why)
        return []
    blocks = [kit.section(f"*:triangular_flag_on_post: Flags*\n{figures_text(f)}")]
    used = kit.message_size(blocks)
    spots = f["hot_spots"][:MAX_FLAG_SPOTS]
    for i, spot in enumerate(spots, start=1):
        block = kit.section(spot_text(i, spot, compact=True), accessory=spot_button(spot))
        if used + kit.message_size([block]) > FLAG_CHARS - FLAG_MORE_CHARS:
            blocks.append(kit.context([f"_…{len(spots) - i + 1} more hot spot(s) in the full report_"]))
            break
        blocks.append(block)
        used += kit.message_size([block])
    return blocks


def questions_blocks(q: dict[str, Any] | None) -> list[Block]:
    """The `questions` section: how often answers were marked "None of these", and up to MAX_QUESTIONS
    of the questions (each shortened to QUESTION_MAX, escaped); nothing when there were none."""
    if not q or not q["unanswered"]:
        return []
    lines = [
        f"*:grey_question: Questions the guideline did not answer*\n{count(q['unanswered'])} answer(s) marked "
        f"_None of these_, {count(q['questions'])} distinct question(s)"
    ]
    for e in q["examples"][:MAX_QUESTIONS]:
        times = f" ({e['times']}×)" if e["times"] > 1 else ""
        lines.append(f"• {kit.shorten(e['question'], QUESTION_MAX)}{times}")
    if q["questions"] > MAX_QUESTIONS:
        lines.append(f"_…{q['questions'] - MAX_QUESTIONS} more: `annobot lookups unanswered`_")
    return kit.sections("\n".join(lines))
