"""The `/flag stats` reply and the digest's flags blocks: within Block Kit limits, hostile text escaped."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pytest

from bot.jobs.flag_figures import figures_json, taxonomy
from bot.slack.blocks import kit
from bot.slack.blocks.section_link import GUIDE_SHOW_SECTION, parse_section_ref
from bot.slack.digest.builder import FLAG_CHARS, MAX_FLAG_SPOTS, digest_blocks
from bot.slack.flag_stats.builder import MAX_SPOTS, stats_blocks
from reports.digest import Section, SectionResult, TaskSpec, build_digest
from reports.digest.synthetic import synthetic
from reports.flags.frame import COLUMNS
from reports.flags.hotspots import hot_spots
from reports.flags.summary import flag_summary
from reports.flags.taxonomy import FlagReason
from reports.render import render_html, render_markdown
from tests.support.blockkit import assert_no_injection, validate_message

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
SPECIES = ("cat", "dog", "bird", "fish", "other")
EVIL = "<!channel> & <@U123> &lt; <https://x|y>"


def _hostile_frame(sections: int = 14) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    for i in range(sections * 3):
        s = i % (sections + 1)  # the last bucket: no section
        rows.append(
            {
                "flag_id": i,
                "case_id": i // 2,
                "project": "p",
                "item_id": (EVIL + "i" * 200)[:200],
                "reason": ["evil", "other", "guideline_unclear"][i % 3],
                "slug": (EVIL + "-slug" * 20)[:64],
                "version": f"1.{i}.0",
                "anchor": None if s == sections else (f"{s}-" + EVIL * 10)[:200],
                "filed_by": "U1",
                "filed_at": NOW - timedelta(hours=i),
                "case_status": "resolved" if i % 4 == 0 else "open",
                "resolved_at": NOW - timedelta(minutes=i) if i % 4 == 0 else pd.NaT,
                "outcome": "guideline_must_change" if i % 4 == 0 else None,
            }
        )
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    frame["resolved_at"] = pd.to_datetime(frame["resolved_at"], utc=True)
    return frame


def _figures(top: int) -> dict[str, Any]:
    frame = _hostile_frame()
    window = (NOW - timedelta(days=7), NOW + timedelta(seconds=1))
    tax = taxonomy((FlagReason("evil", (EVIL * 3)[:75], 2.0), FlagReason("other", "Other", 1.0)))
    summary = flag_summary(frame, since=window[0], until=window[1], now=NOW, weights=tax.weights, top=top)
    ranked = hot_spots(frame, now=NOW, weights=tax.weights, top=1000, filed_in=window)
    # 3000-character titles of hostile text for every section, at a version of its own.
    titles = {(s.slug, s.anchor): ("9.9.9", (EVIL * 100)[:3000]) for s in ranked if s.slug and s.anchor}
    return json.loads(json.dumps(figures_json(summary, ranked, titles, tax)))


def _check(blocks: list[dict[str, Any]]) -> None:
    for page in kit.paginate(blocks):
        validate_message(page)
    validate_message(blocks)  # one message by construction
    assert_no_injection(blocks)
    for b in blocks:
        if b["type"] == "section":
            assert len(b["text"]["text"]) <= kit.SECTION_TEXT_MAX


def test_stats_reply_is_bounded_escaped_and_has_show_section_buttons() -> None:
    f = _figures(top=MAX_SPOTS)
    assert len(f["hot_spots"]) == MAX_SPOTS and f["other_sections"]["sections"] == 4
    blocks = stats_blocks(f, EVIL * 10)
    _check(blocks)
    buttons = [b["accessory"] for b in blocks if b.get("accessory")]
    assert len(buttons) == MAX_SPOTS
    for button, spot in zip(buttons, f["hot_spots"], strict=True):
        assert button["action_id"] == GUIDE_SHOW_SECTION
        assert parse_section_ref(button["value"]) == (spot["slug"], "9.9.9", spot["anchor"])
    text = json.dumps(blocks, ensure_ascii=False)
    assert "&lt;!channel&gt; &amp; &lt;@U123&gt; &amp;lt;" in text  # shown, not pinging
    assert "…and 4 more sections with " in text
    assert "(no section)" in text
    counts = {r["reason"]: r["flags"] for r in f["reasons"]}
    reasons = blocks[-1]["elements"][0]["text"]
    assert reasons.startswith("Reasons: ")
    assert (
        f"Other {counts['other']}" in reasons
        and f"guideline_unclear {counts['guideline_unclear']}" in reasons
    )
    assert "&lt;!channel&gt;" in reasons  # the configured label of "evil", escaped


@pytest.mark.parametrize("top", [0, 1, 5])
def test_stats_reply_with_few_or_no_sections(top: int) -> None:
    f = _figures(top=top)
    _check(stats_blocks(f, "p"))
    _check(stats_blocks(None, None, EVIL * 200))


def test_digest_message_carries_the_top_flag_spots_escaped() -> None:
    df, gold = synthetic(n_items=60, annotators=3, seed=2, days=3)
    f = _figures(top=5)
    section = Section("flags", "Flags", lambda _: SectionResult(f))
    spec = {"species": TaskSpec(SPECIES, "nominal", "species-guide", "1.0.0")}
    d = build_digest(df, gold, spec, None, n_boot=0, sections=[section]).to_json()
    blocks = digest_blocks(d, "https://reports.example.org/r.html")
    _check(blocks)
    flagged = [b for b in blocks if b.get("accessory", {}).get("action_id") == GUIDE_SHOW_SECTION]
    refs = [parse_section_ref(b["accessory"]["value"]) for b in flagged]
    shown = [r for r in refs if r[1] == "9.9.9"]
    # Hot spots this long fill the flags' share of the message (FLAG_CHARS) before MAX_FLAG_SPOTS:
    # the first ones in rank order, then a pointer to the report.
    assert 1 <= len(shown) < MAX_FLAG_SPOTS
    assert shown == [(s["slug"], "9.9.9", s["anchor"]) for s in f["hot_spots"][: len(shown)]]
    more = MAX_FLAG_SPOTS - len(shown)
    assert f"…{more} more hot spot(s) in the full report" in json.dumps(blocks, ensure_ascii=False)
    flag_part = blocks[blocks.index(next(b for b in blocks if "Flags*" in json.dumps(b))) :][: len(shown) + 2]
    assert kit.message_size(flag_part) <= FLAG_CHARS
    assert "*:triangular_flag_on_post: Flags*" in json.dumps(blocks, ensure_ascii=False)
    d["flags"] = None
    assert not any("Flags*" in json.dumps(b) for b in digest_blocks(d))


def test_markdown_and_html_show_the_flags_section_escaped() -> None:
    df, gold = synthetic(n_items=60, annotators=3, seed=2, days=3)
    f = _figures(top=5)
    f["hot_spots"][0]["title"] = "a | b <script>alert(1)</script>"
    section = Section("flags", "Flags", lambda _: SectionResult(f))
    spec = {"species": TaskSpec(SPECIES, "nominal", "species-guide", "1.0.0")}
    d = build_digest(df, gold, spec, None, n_boot=0, sections=[section])
    md = render_markdown(d, generated=NOW)
    part = md.split("## Flags\n", 1)[1].split("\n## ", 1)[0]
    assert f"{f['filed']} flags filed and {f['resolved']} cases resolved in the window" in part
    rows = [line for line in part.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) == 1 + 5 + 1  # header, the top five, "(no section)"
    assert all(line.count(" | ") == 6 for line in rows)  # a pipe in a title or label is escaped
    assert "a \\| b" in rows[1] and "| (no section) |" in rows[-1]
    assert "…and 9 more sections with" in part and "```json" not in part
    html = render_html(d, generated=NOW)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<!channel>" not in html and "&lt;!channel&gt;" in html
    assert f"{f['open_cases']} cases open now" in html


def test_the_worst_digest_with_the_worst_flags_is_still_one_message() -> None:
    df, gold = synthetic(n_items=60, annotators=3, seed=2, days=3)
    spec = {"species": TaskSpec(SPECIES, "nominal", "species-guide", "1.0.0")}
    d = build_digest(df, gold, spec, None, n_boot=0).to_json()
    evil = "<!channel> & " + "x" * 400
    d["project"] = evil
    d["headline"]["alerts"] = [f"{evil}-{i}: gold accuracy fell to 10%" for i in range(500)]
    d["drift"] = [{"annotator": f"{evil}-{i}"} for i in range(500)]
    d["annotators"] = [
        {"annotator": f"{evil}-{i}", "alerts": [f"{evil}-{i}: gold accuracy fell to 10% " + evil] * 3}
        for i in range(500)
    ]
    confusion = {"task": "t", "label_a": evil, "label_b": evil, "observed": 1.0, "expected": 1.0}
    d["confusions"] = [{**confusion, "ratio": 1.0, "excess": 0}] * 200
    d["guideline"]["sections"] = [
        {"task": "t", "slug": "g", "version": "1", "anchor": f"a{i}", "title": evil, "why": evil}
        for i in range(200)
    ]
    d["releases"] = []
    d["flags"] = _figures(top=5)
    blocks = digest_blocks(d, report_url="https://reports.example.org/x.html")
    _check(blocks)
    assert sum("Flags*" in json.dumps(b) for b in blocks) == 1
