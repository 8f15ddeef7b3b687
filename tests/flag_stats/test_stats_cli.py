"""`annobot flags stats`: its JSON is flag_summary on the same frame plus the shell's additions."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from bot.jobs.flag_figures import ADDED_KEYS, ADDED_REASON_KEYS, ADDED_SPOT_KEYS
from bot.store import flags as store
from bot.store.db import session_scope
from reports.flags.frame import DEFAULT_WEIGHTS
from reports.flags.input import Decision
from reports.flags.summary import flag_summary
from tests.digest_e2e.values_support import ok
from tests.flag_stats.support import CONFIG, flag, setup_project
from tests.support.guidelines import run_cli

DAY = timedelta(days=1)


def strip(data: dict[str, Any]) -> dict[str, Any]:
    """The figures JSON without the keys the shell adds to FlagSummary.to_json()."""
    out = copy.deepcopy(data)
    for key in ADDED_KEYS:
        del out[key]
    spots = out["hot_spots"] + ([out["no_section"]] if out["no_section"] else [])
    for spot in spots:
        for key in ADDED_SPOT_KEYS:
            del spot[key]
        spot["na_reasons"].pop("title", None)
        for r in spot["reasons"]:
            for key in ADDED_REASON_KEYS:
                del r[key]
    for r in out["reasons"]:
        for key in ADDED_REASON_KEYS:
            del r[key]
    return out


def _fill(engine: Engine, base: datetime) -> None:
    reasons = ["guideline_unclear", "label_confusion", "other", "tool_problem", "span_boundary"]
    anchors = ["sarcasm", "emoji", None, "sarcasm", "overview"]
    with session_scope(engine) as session:
        for i in range(40):
            store.file_flag(
                session,
                flag(
                    item_id=f"it{i % 13}",
                    reason=reasons[i % 5],
                    anchor=anchors[i % 5] if i % 7 else "x" * (i % 4 + 1),
                    version="1.0.0" if i < 20 else "1.1.0",
                    filed_at=base + timedelta(hours=17 * i),
                ),
            )
    with session_scope(engine) as session:
        for n, case in enumerate(store.list_cases(session, project="reviews", status="open")[::2]):
            store.adjudicate(
                session,
                case.id,
                Decision("Negative", "guideline_must_change", decided_at=base + (20 + n) * DAY),
                "UL",
            )


def test_json_equals_flag_summary_on_the_same_frame(engine: Engine, db_url: str, tmp_path: Path) -> None:
    base = (datetime.now(UTC) - 45 * DAY).replace(microsecond=0)
    setup_project(db_url, tmp_path, annotated_at=base)
    _fill(engine, base)
    for args in ((), ("--since", (base + 10 * DAY).isoformat())):
        data = json.loads(ok(db_url, "flags", "stats", "--project", "reviews", "--json", *args))
        now = datetime.fromisoformat(data["scoring"]["now"])
        since = datetime.fromisoformat(data["since"])
        assert data["until"] == now.isoformat()
        assert since == (base + 10 * DAY if args else now - 30 * DAY)
        with session_scope(engine) as session:
            frame = store.flags_frame(session, "reviews")
        expected = flag_summary(frame, since=since, until=now, now=now, weights=DEFAULT_WEIGHTS, top=10)
        assert strip(data) == json.loads(json.dumps(expected.to_json()))
        assert data["filed"] > 0 and data["hot_spots"]
        # The additions: the hot spots beyond the top, and every reason shown by its id (no config).
        assert len(data["hot_spots"]) + data["other_sections"]["sections"] >= len(data["hot_spots"])
        assert all(r["label"] == r["reason"] for r in data["reasons"])


def test_config_weights_and_labels_and_text_output(engine: Engine, db_url: str, tmp_path: Path) -> None:
    base = (datetime.now(UTC) - 10 * DAY).replace(microsecond=0)
    setup_project(db_url, tmp_path, annotated_at=base)
    _fill(engine, base)
    (tmp_path / "c.toml").write_text(CONFIG, encoding="utf-8")
    conf = ("--config", str(tmp_path / "c.toml"))
    data = json.loads(ok(db_url, *conf, "flags", "stats", "--project", "reviews", "--json"))
    now = datetime.fromisoformat(data["scoring"]["now"])
    with session_scope(engine) as session:
        frame = store.flags_frame(session, "reviews")
    weights = data["scoring"]["weights"]
    assert weights["guideline_unclear"] == 5 and weights["tool_problem"] == 1.0  # not configured: 1
    expected = flag_summary(frame, since=now - 30 * DAY, until=now, now=now, weights=weights, top=10)
    assert strip(data) == json.loads(json.dumps(expected.to_json()))
    assert {r["reason"]: r["label"] for r in data["reasons"]}["guideline_unclear"] == "Unclear rules"
    text = ok(db_url, *conf, "flags", "stats", "--project", "reviews")
    lines = text.splitlines()
    assert lines[0].startswith("flag hot spots, reviews, ")
    assert lines[1].startswith(f"open cases {data['open_cases']}  filed {data['filed']}  ")
    top = data["hot_spots"][0]
    assert any(line.startswith(" 1. ") and top["label"] in line for line in lines)
    assert any(line.startswith("    (no section)") for line in lines)
    assert "Unclear rules" in lines[-1]


def test_no_flags_unknown_project_and_bad_since(db_url: str, tmp_path: Path) -> None:
    setup_project(db_url, tmp_path, annotated_at=datetime.now(UTC))
    assert ok(db_url, "flags", "stats", "--project", "reviews", "--json").strip() == "null"
    assert ok(db_url, "flags", "stats").strip() == "no project has flags"
    result = run_cli(db_url, "flags", "stats", "--project", "ghost")
    assert result.exit_code == 2 and "ghost" in result.output
    result = run_cli(db_url, "flags", "stats", "--since", "yesterday")
    assert result.exit_code == 2 and "--since: not an ISO 8601 date or time" in result.output
    result = run_cli(db_url, "flags", "stats", "--since", "2999-01-01")
    assert result.exit_code == 2 and "is not in the past" in result.output
