"""The Home tab's scheduled digests as pure Block Kit: escaping, links, limits, preview pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.slack.blocks import kit
from bot.slack.home.builder import LeadCases, home_view
from bot.slack.home.schedules import (
    HOME_DIGEST_PAGE,
    HOME_DIGEST_PAGE_BACK,
    PAGE_BLOCKS,
    SCHEDULES_SHOWN,
    DigestsPart,
    LastRun,
    ScheduleCard,
    SendOutcome,
    card_text,
    digests_blocks,
    message_url,
    parse_page_value,
    preview_pages,
    preview_view,
    relative,
    send_confirm,
)
from tests.bot.helpers import buttons, texts

NOW = datetime(2027, 3, 26, 12, 0, tzinfo=UTC)
URL = "https://acme.slack.com/"
EVIL = "<!channel> <@U123> &lt; & <https://x|y> `x`"


def _card(name: str = "morning", **fields: Any) -> ScheduleCard:
    data: dict[str, Any] = {
        "name": name,
        "projects": ("p",),
        "targets": ("C0DIGEST1",),
        "cron": "0 9 * * mon-fri",
        "timezone": "Europe/Berlin",
        "next_due": datetime(2027, 3, 29, 7, tzinfo=UTC),  # Monday 09:00 CEST, after the change
        "last": None,
        "may_send": True,
    }
    data.update(fields)
    return ScheduleCard(**data)


def _no_markup_from(text: str) -> None:
    # Nothing of EVIL survives as live markup: no broadcast, no mention, no foreign link.
    assert "<!channel>" not in text and "<@U123>" not in text and "<https://x|y>" not in text


def test_next_run_is_local_and_relative() -> None:
    text = card_text(_card(), NOW, URL)
    assert "Next run: Mon 2027-03-29 09:00 CEST (in 2 d 19 h)" in text
    assert "Last run: _never run_" in text


def test_last_results() -> None:
    due = datetime(2027, 3, 26, 8, tzinfo=UTC)
    posted = LastRun("late-posted", due, False, due + timedelta(hours=2), "C0DIGEST1", "1700000000.000100")
    text = card_text(_card(last=posted), NOW, URL)
    assert "posted late Fri 2027-03-26 11:00 CET" in text
    assert "<https://acme.slack.com/archives/C0DIGEST1/p1700000000000100|the message> in <#C0DIGEST1>" in text
    failed = LastRun("failed", due, True, reason=EVIL, attempts=2)
    text = card_text(_card(last=failed), NOW, URL)
    assert ":x: failed (on demand, attempt 2)" in text and "&lt;!channel&gt;" in text
    _no_markup_from(text)
    skipped = LastRun("skipped", due, False, reason="missed by 30h, beyond the grace of 6h")
    assert "skipped (due Fri 2027-03-26 09:00 CET): missed by 30h" in card_text(_card(last=skipped), NOW, URL)
    running = LastRun("claimed", due, False)
    assert "being posted" in card_text(_card(last=running), NOW, URL)


def test_message_links_are_built_only_from_well_formed_parts() -> None:
    assert message_url(URL, "C0DIGEST1", "1.2") == "https://acme.slack.com/archives/C0DIGEST1/p12"
    for url, channel, ts in [
        (None, "C1AB", "1.2"),
        ("http://acme.slack.com/", "C1AB", "1.2"),
        (URL, "U1AB", "1.2"),
        (URL, "C1AB|x", "1.2"),
        (URL, "C1AB", "1.2>"),
        (URL, None, "1.2"),
    ]:
        assert message_url(url, channel, ts) is None


def test_a_leads_dm_schedule_shows_the_viewers_own_dm_run() -> None:
    due = datetime(2027, 3, 26, 8, tzinfo=UTC)
    mine = LastRun("posted", due, False, due, "D0LEAD1", "1.2")
    text = card_text(_card(targets=("leads-dm",), dm=True, last_dm=mine), NOW, URL)
    assert "→ each lead's DM" in text and "Last run: _never run_" in text
    assert (
        "Your DM: :white_check_mark: posted" in text
        and "<https://acme.slack.com/archives/D0LEAD1/p12|the message>" in text
    )
    assert "<#D0LEAD1>" not in text
    assert "Your DM: _never run_" in card_text(_card(targets=("leads-dm",), dm=True), NOW, URL)
    assert "Your DM" not in card_text(_card(), NOW, URL)
    # Send now posts to channels: none for a DM-only schedule, and the dialog says the DMs are left out.
    dm_only = digests_blocks(DigestsPart((_card(targets=("leads-dm",), dm=True),), 0, NOW))
    assert buttons(dm_only, "home_digest_send") == [] and "only to the leads' DMs" in texts(dm_only)
    both = _card(targets=("C0DIGEST1", "leads-dm"), dm=True)
    dialog = send_confirm(both)["text"]["text"]
    assert "#C0DIGEST1 (not to the leads' DMs)" in dialog


def test_a_posted_run_without_a_workspace_url_has_no_link() -> None:
    due = datetime(2027, 3, 26, 8, tzinfo=UTC)
    text = card_text(_card(last=LastRun("posted", due, False, due, "C0DIGEST1", "1.2")), NOW, None)
    assert "a message in <#C0DIGEST1>" in text and "https://" not in text


def test_send_now_is_withheld_from_a_lead_of_some_projects_only() -> None:
    blocks = digests_blocks(
        DigestsPart((_card(projects=("p", "q"), may_send=False, not_led=("q",)),), 0, NOW)
    )
    assert buttons(blocks, "home_digest_send") == [] and buttons(blocks, "home_digest_preview") == ["morning"]
    assert "you do not lead q" in texts(blocks)


def test_more_schedules_than_shown_are_counted_not_dropped() -> None:
    cards = tuple(_card(f"s{i}") for i in range(SCHEDULES_SHOWN + 3))
    blocks = digests_blocks(DigestsPart(cards, 4, NOW))
    assert len(buttons(blocks, "home_digest_preview")) == SCHEDULES_SHOWN
    assert "…and 7 more: `annobot digests history`" in texts(blocks)


def test_outcomes() -> None:
    posted = SendOutcome("morning", "posted", "C0DIGEST1", "1.2")
    assert "Sent *morning* now: <https://acme.slack.com/archives/C0DIGEST1/p12|the message>" in texts(
        digests_blocks(DigestsPart((_card(),), 0, NOW, URL, posted))
    )
    failed = texts(
        digests_blocks(DigestsPart((_card(),), 0, NOW, URL, SendOutcome("morning", "failed", reason=EVIL)))
    )
    assert "Send now of *morning* failed" in failed
    _no_markup_from(failed)
    busy = SendOutcome("morning", "busy")
    assert "already running" in texts(digests_blocks(DigestsPart((_card(),), 0, NOW, URL, busy)))


def test_the_fullest_home_tab_fits_one_view() -> None:
    """Every part at its cap: 5 cases, 10 schedules without Send now, 30 guidelines, 10 lookups."""
    cards = tuple(
        _card(f"s{i}", projects=tuple(f"p{j}" for j in range(30)), may_send=False, not_led=("q",) * 30)
        for i in range(SCHEDULES_SHOWN + 5)
    )
    part = DigestsPart(cards, 50, NOW, URL, SendOutcome("s0", "failed", reason="x" * 5000))
    opened = NOW - timedelta(days=3)
    lead = LeadCases(("p",), 99, tuple((i, "p", f"i{i}", opened, None, 2) for i in range(5)), NOW)
    guidelines = [(f"g{i}", "T", "1.0.0", NOW, ["0.9.0", "1.0.0"]) for i in range(40)]
    lookups = [("q" * 400, "g1", "1.0.0", "a")] * 20
    view = home_view(guidelines, lookups, lead, part)
    assert len(view["blocks"]) <= kit.MAX_BLOCKS_PER_VIEW
    assert "Annotation guidelines" in texts(view) and "Your recent lookups" in texts(view)


@given(
    name=st.text(min_size=1, max_size=40),
    projects=st.lists(st.text(max_size=300), min_size=1, max_size=40),
    targets=st.lists(st.text(max_size=40), min_size=1, max_size=40),
    tz=st.sampled_from(["UTC", "Europe/Berlin", "Asia/Kolkata", "America/St_Johns"]),
    reason=st.text(max_size=2000),
    status=st.sampled_from(["posted", "late-posted", "failed", "skipped", "claimed"]),
    ahead=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=4000)),
)
@settings(max_examples=200, deadline=None)
def test_any_card_is_one_section_within_limits(
    name: str, projects: list[str], targets: list[str], tz: str, reason: str, status: str, ahead: timedelta
) -> None:
    last = LastRun(status, NOW, False, NOW, "C0DIGEST1", "1.2", reason)
    card = _card(
        name, projects=tuple(projects), targets=tuple(targets), timezone=tz, next_due=NOW + ahead, last=last
    )
    blocks = digests_blocks(DigestsPart((card,), 0, NOW, URL, SendOutcome(name, status, reason=reason)))
    for block in blocks:
        for text in [block.get("text", {}).get("text", "")] + [
            e.get("text", "") for e in block.get("elements", [])
        ]:
            if isinstance(text, str):
                assert len(text) <= kit.SECTION_TEXT_MAX
    assert len(blocks) <= 6


def test_relative() -> None:
    assert relative(timedelta(seconds=30)) == "in less than a minute"
    assert relative(timedelta(minutes=5)) == "in 5 min"
    assert relative(timedelta(hours=3)) == "in 3 h"
    assert relative(timedelta(hours=3, minutes=20)) == "in 3 h 20 min"
    assert relative(timedelta(days=2, hours=4, minutes=9)) == "in 2 d 4 h"


def _message(project: str, n: int) -> dict[str, Any]:
    return {"project": project, "channels": ["C0DIGEST1"], "text": "t", "blocks": kit.sections("x") * n}


def test_preview_pages_keep_a_project_whole_and_stay_within_a_modal() -> None:
    pages = preview_pages([_message(f"p{i}", 45) for i in range(5)])
    assert len(pages) == 3 and all(len(p) <= PAGE_BLOCKS for p in pages)
    assert [
        b["text"]["text"] for p in pages for b in p if b["type"] == "section" and "→" in b["text"]["text"]
    ] == [f"*p{i}* → <#C0DIGEST1>" for i in range(5)]
    big = preview_pages([_message("huge", 250)])
    assert sum(len(p) for p in big) == 252 and all(len(p) <= PAGE_BLOCKS for p in big)
    for i in range(len(pages)):
        view = preview_view("morning", pages, i)
        assert len(view["blocks"]) <= kit.MAX_BLOCKS_PER_VIEW
        back, nxt = buttons(view["blocks"], HOME_DIGEST_PAGE_BACK), buttons(view["blocks"], HOME_DIGEST_PAGE)
        assert back == ([f"morning {i - 1}"] if i else []) and nxt == ([f"morning {i + 1}"] if i < 2 else [])
        nav = back + nxt
        assert all(parse_page_value(v)[0] == "morning" for v in nav)
