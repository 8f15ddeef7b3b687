"""Issue 12 item 8 through the real path: flags filed and adjudicated in the store, then `annobot digest
--format json`, whose `flags` section must equal a computation by hand written out below."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine

from bot.slack.blocks.section_link import section_ref
from bot.store import flags as store
from bot.store.db import session_scope
from reports.flags.input import Decision
from tests.digest_e2e.values_support import ok
from tests.flag_stats.support import CONFIG, flag, setup_project

DAY = timedelta(days=1)


def _file(engine: Engine, base: datetime) -> dict[str, int]:
    """Six flags on five items, four cases resolved at known times; case ids by item."""
    plan = [
        ("a", "guideline_unclear", "1.0.0", "sarcasm", 0),  # before the window
        ("b", "guideline_unclear", "1.1.0", "sarcasm", 6),
        ("b", "label_confusion", "1.1.0", "sarcasm", 7),  # joins b's open case
        ("c", "data_quality", "1.1.0", "emoji", 8),  # emoji: only 1.0.0 has it
        ("d", "other", "1.1.0", None, 9),  # no section
        ("e", "span_boundary", "1.1.0", "gone", 10),  # a section no version has
    ]
    cases: dict[str, int] = {}
    with session_scope(engine) as session:
        for item, reason, version, anchor, day in plan:
            filed = store.file_flag(
                session,
                flag(item_id=item, reason=reason, version=version, anchor=anchor, filed_at=base + day * DAY),
            )
            cases[item] = filed.case_id
    for item, day in (("a", 6), ("b", 9), ("d", 12)):
        with session_scope(engine) as session:
            store.adjudicate(
                session,
                cases[item],
                Decision("Negative", "other_right", decided_at=base + day * DAY),
                "ULEAD",
            )
    return cases


def test_digest_flags_section_equals_the_hand_computation(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    base = (datetime.now(UTC) - 20 * DAY).replace(second=0, microsecond=0)
    setup_project(db_url, tmp_path, annotated_at=base + 6 * DAY)
    cases = _file(engine, base)
    (tmp_path / "annobot.toml").write_text(CONFIG, encoding="utf-8")
    since = base + 5 * DAY
    before = datetime.now(UTC)
    out = ok(
        db_url,
        "--config",
        str(tmp_path / "annobot.toml"),
        "digest",
        "--project",
        "reviews",
        "--since",
        since.isoformat(),
        "--format",
        "json",
    )
    after = datetime.now(UTC)
    f = json.loads(out)["flags"]
    now = datetime.fromisoformat(f["scoring"]["now"])
    assert before <= now <= after  # the CLI's clock, read once at the edge
    assert f["since"] == since.isoformat() and f["until"] == now.isoformat()

    # In the window [base+5d, now): flags b, b, c, d, e (a was filed at base+0d).
    assert f["filed"] == 5
    # Cases now: a, b, d resolved; c and e open.
    assert f["open_cases"] == 2
    # Resolved in the window: a at +6d (filed before the window: still counts), b at +9d, d at +12d.
    assert f["resolved"] == 3
    # Times to resolution: a 6d, b 9d - 6d = 3d (from its first flag), d 12d - 9d = 3d; median 3 days.
    assert f["median_seconds_to_resolution"] == 3 * 86400.0
    # Oldest open: c, opened at base+8d (e at +10d).
    assert f["oldest_open"] == {
        "case_id": cases["c"],
        "project": "reviews",
        "item_id": "c",
        "opened_at": (base + 8 * DAY).isoformat(),
        "age_seconds": (now - (base + 8 * DAY)).total_seconds(),
    }
    # One flag per reason, ordered by id; labels from the config (span_boundary is not in it: its id).
    assert f["reasons"] == [
        {"reason": "data_quality", "flags": 1, "label": "Broken item"},
        {"reason": "guideline_unclear", "flags": 1, "label": "Unclear rules"},
        {"reason": "label_confusion", "flags": 1, "label": "Mixed up labels"},
        {"reason": "other", "flags": 1, "label": "Other"},
        {"reason": "span_boundary", "flags": 1, "label": "span_boundary"},
    ]

    # Scores: weight × 0.5 ** (age in days / 14); the config's weights: unclear 5, confusion 2,
    # data_quality 0, other 1; span_boundary not configured: 1.
    def decay(day: int) -> float:
        return 0.5 ** ((now - (base + day * DAY)).total_seconds() / 86400 / 14)

    sarcasm = math.fsum([5 * decay(6), 2 * decay(7)])
    gone = 1 * decay(10)
    emoji = 0 * decay(8)
    spots = f["hot_spots"]
    assert [(s["anchor"], s["flags"], s["cases"], s["open_cases"]) for s in spots] == [
        ("sarcasm", 2, 1, 0),
        ("gone", 1, 1, 1),
        ("emoji", 1, 1, 1),
    ]
    for spot, score in zip(spots, (sarcasm, gone, emoji), strict=True):
        assert math.isclose(spot["score"], score, rel_tol=1e-12, abs_tol=1e-12)
    s0, s1, s2 = spots
    assert s0["versions"] == ["1.1.0"]  # the 1.0.0 flag on sarcasm is outside the window
    assert (s0["title"], s0["title_version"]) == ("Sarcasm and irony", "1.1.0")  # the newest title
    assert s0["link"] == section_ref("mini", "1.1.0", "sarcasm")
    assert s0["median_seconds_to_resolution"] == 3 * 86400.0
    assert s0["reasons"] == [
        {"reason": "guideline_unclear", "flags": 1, "label": "Unclear rules"},
        {"reason": "label_confusion", "flags": 1, "label": "Mixed up labels"},
    ]
    assert s1["title"] is None and s1["link"] is None and "gone" in s1["na_reasons"]["title"]
    # emoji was flagged at 1.1.0, which dropped it: the title and link come from 1.0.0.
    assert (s2["title"], s2["title_version"], s2["link"]) == (
        "Emoji",
        "1.0.0",
        section_ref("mini", "1.0.0", "emoji"),
    )
    assert f["no_section"]["flags"] == 1 and f["no_section"]["cases"] == 1
    assert math.isclose(f["no_section"]["score"], 1 * decay(9), rel_tol=1e-12)
    assert f["other_sections"] == {"sections": 0, "flags": 0}
    # Counts add up: every flag of the window is in one section or in "(no section)".
    assert sum(s["flags"] for s in spots) + f["no_section"]["flags"] == f["filed"]
    assert f["scoring"]["taxonomy"] == "project" and f["scoring"]["weights"]["span_boundary"] == 1.0
    assert f["na_reasons"] == {}

    # The same section in the Slack message (top 3 with Show section buttons) and the Markdown report.
    conf = ("--config", str(tmp_path / "annobot.toml"))
    window = ("--project", "reviews", "--since", since.isoformat())
    blocks = json.loads(ok(db_url, *conf, "digest", *window, "--format", "blocks"))["blocks"]
    buttons = [
        b["accessory"]["value"] for b in blocks if b.get("accessory", {}).get("value", "").startswith("{")
    ]
    assert s0["link"] in buttons and s2["link"] in buttons
    md = ok(db_url, *conf, "digest", *window, "--format", "markdown")
    assert "5 flags filed and 3 cases resolved in the window; 2 cases open now." in md
    assert "| mini#sarcasm | Sarcasm and irony | 1.1.0 |" in md


def test_without_config_the_weights_are_the_defaults_and_labels_the_ids(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    base = (datetime.now(UTC) - 20 * DAY).replace(second=0, microsecond=0)
    setup_project(db_url, tmp_path, annotated_at=base + 6 * DAY)
    _file(engine, base)
    f = json.loads(ok(db_url, "digest", "--project", "reviews", "--all", "--format", "json"))["flags"]
    now = datetime.fromisoformat(f["scoring"]["now"])
    # --all: every flag and every resolution counts, from the first flag to now.
    assert f["since"] == base.isoformat() and f["until"] == now.isoformat()
    assert (f["filed"], f["open_cases"], f["resolved"]) == (6, 2, 3)
    assert {r["reason"]: r["label"] for r in f["reasons"]} == {r["reason"]: r["reason"] for r in f["reasons"]}
    sarcasm = next(s for s in f["hot_spots"] if s["anchor"] == "sarcasm")
    assert sarcasm["versions"] == ["1.0.0", "1.1.0"] and sarcasm["flags"] == 3 and sarcasm["cases"] == 2

    def decay(day: int) -> float:
        return 0.5 ** ((now - (base + day * DAY)).total_seconds() / 86400 / 14)

    # Default weights: guideline_unclear 3, label_confusion 2.
    assert math.isclose(sarcasm["score"], 3 * decay(0) + 3 * decay(6) + 2 * decay(7), rel_tol=1e-12)
    assert f["scoring"]["taxonomy"] == "default"


def test_a_project_without_flags_has_a_null_section_with_the_reason(db_url: str, tmp_path: Path) -> None:
    setup_project(db_url, tmp_path, annotated_at=datetime.now(UTC) - DAY)
    d = json.loads(ok(db_url, "digest", "--project", "reviews", "--all", "--format", "json"))
    assert d["flags"] is None
    assert d["section_reasons"]["flags"] == "project 'reviews' has no flags"
