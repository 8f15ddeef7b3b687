"""stats_answer, the job the `/flag` router calls: one read, pages within limits, errors for bad input."""

from __future__ import annotations

import json
import pickle
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.errors import NotFoundError
from bot.jobs.flag_figures import taxonomy
from bot.jobs.flag_stats import STATS_DAYS, stats_answer, stats_figures
from bot.slack.blocks.section_link import GUIDE_SHOW_SECTION, parse_section_ref
from bot.store import flags as store
from bot.store.db import session_scope
from reports.flags.taxonomy import FlagReason
from tests.flag_stats.support import flag, setup_project
from tests.support.blockkit import assert_no_injection, validate_message

DAY = timedelta(days=1)


def test_stats_answer_ranks_the_window_with_show_section_buttons(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    setup_project(db_url, tmp_path, annotated_at=now - DAY)
    with session_scope(engine) as session:
        for i, (anchor, days) in enumerate(
            [("sarcasm", 1), ("sarcasm", 2), ("emoji", 3), (None, 4), ("sarcasm", STATS_DAYS + 1)]
        ):
            store.file_flag(
                session, flag(item_id=f"i{i}", anchor=anchor, version="1.1.0", filed_at=now - days * DAY)
            )
    tax = taxonomy((FlagReason("guideline_unclear", "Rules <unclear> & vague", 4.0),))
    answer = stats_answer(engine, "reviews", now, weights=tax.weights, labels=tax.labels)
    assert pickle.loads(pickle.dumps(answer)) == answer  # it crosses from a worker process
    assert len(answer.pages) == 1
    blocks = answer.pages[0]
    validate_message(blocks)
    assert_no_injection(blocks)
    # The flag 31 days back is outside the default window (4 filed), but its case is open now (5 open).
    assert answer.text == "Flag hot spots — reviews — 5 open, 4 filed, 0 resolved"
    refs = [parse_section_ref(b["accessory"]["value"]) for b in blocks if b.get("accessory")]
    assert all(b["accessory"]["action_id"] == GUIDE_SHOW_SECTION for b in blocks if b.get("accessory"))
    assert refs == [("mini", "1.1.0", "sarcasm"), ("mini", "1.0.0", "emoji")]
    text = json.dumps(blocks, ensure_ascii=False)
    assert "*1. Sarcasm and irony*" in text and "*(no section)*" in text
    assert "Rules &lt;unclear&gt; &amp; vague 4" in text

    figures, _ = stats_figures(engine, "reviews", now, weights=tax.weights, since=now - 40 * DAY)
    assert figures is not None and figures["filed"] == 5
    everyone, _ = stats_figures(engine, None, now, weights=None)
    assert everyone is not None and everyone["filed"] == 4


def test_unknown_project_raises_and_no_flags_answers(db_url: str, engine: Engine, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    setup_project(db_url, tmp_path, annotated_at=now)
    with pytest.raises(NotFoundError, match="ghost"):
        stats_answer(engine, "ghost", now, weights=None)
    answer = stats_answer(engine, "reviews", now, weights=None)
    assert answer.text == "Flag hot spots — reviews — project 'reviews' has no flags"
    validate_message(answer.pages[0])


def test_a_configured_project_the_store_has_not_met_has_no_flags(engine: Engine) -> None:
    # `/flag stats P` for a project of the config file that no import or flag has declared yet.
    answer = stats_answer(engine, "fresh", datetime.now(UTC), weights=None, configured=True)
    assert answer.text == "Flag hot spots — fresh — project 'fresh' has no flags"
    validate_message(answer.pages[0])
