"""The schedule list's Block Kit: within Slack's limits however many schedules, user text escaped."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.slack.quality.builder import ScheduleLine, schedule_list_pages
from tests.schedules.delivery_support import schedule
from tests.support.blockkit import EVIL, assert_no_injection, validate_message

NEXT = datetime(2027, 3, 22, 8, tzinfo=UTC)


def test_many_schedules_with_hostile_project_names_paginate_escaped() -> None:
    lines = [
        ScheduleLine(
            schedule(
                name=f"s{i}", projects=[f"{EVIL} {i} " + "x" * 300, "p"], targets=["C0QA12345", "leads-dm"]
            ),
            "slack" if i % 2 else "config",
            paused=i % 3 == 0,
            created_by="ULEAD1" if i % 4 else "not-a-user-<!here>",
            next_run=None if i % 3 == 0 else NEXT,
        )
        for i in range(80)
    ]
    pages = schedule_list_pages(lines)
    assert len(pages) > 1
    for page in pages:
        validate_message(page)
        assert_no_injection(page, allowed_mentions=("<#C0QA12345>", "<@ULEAD1>"))
    shown = str(pages)
    assert all(f"*s{i}*" in shown for i in range(80))
    assert "next run Mon 2027-03-22 09:00 Europe/Berlin (08:00 UTC)" in shown


def test_no_schedules_says_how_to_add_one() -> None:
    [page] = schedule_list_pages([])
    assert "No digest schedules yet" in str(page)
