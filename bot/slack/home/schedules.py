"""The App Home's "Scheduled digests" part, its Preview modal and what Send now did: pure Block Kit.

Every schedule, project, reason and Slack id is escaped or checked before it becomes markup; each
schedule is one section and one actions block, so the part's size is bounded by construction.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.slack.blocks import kit
from bot.slack.blocks.kit import Block
from bot.slack.blocks.mrkdwn import escape, link

HOME_DIGEST_PREVIEW = "home_digest_preview"
HOME_DIGEST_SEND = "home_digest_send"
HOME_DIGEST_PAGE = "home_digest_page"  # Next ›
HOME_DIGEST_PAGE_BACK = "home_digest_page_back"  # ‹ Previous (an action_id repeats in no actions block)
# Schedules shown on the Home tab (two blocks each); the rest are counted in a line, never dropped silently.
SCHEDULES_SHOWN = 10
PROJECTS_SHOWN = 10
TARGETS_SHOWN = 10
NAME_MAX = 80  # a project name, shortened: a schedule's section stays well under 3000 characters
REASON_MAX = 300
PREVIEW_TITLE = "Digest preview"
PREVIEW_CALLBACK = "home_digest_preview"
LOADING_TEXT = "Computing the digest… nothing is posted."
# A modal page: the intro and the page buttons leave this many blocks for the digests.
PAGE_BLOCKS = kit.MAX_BLOCKS_PER_VIEW - 4

_CHANNEL = re.compile(r"[CG][A-Z0-9]{2,30}")
_CONVERSATION = re.compile(r"[CDG][A-Z0-9]{2,30}")  # a message link may point into the viewer's DM
_TS = re.compile(r"[0-9]{1,12}\.[0-9]{1,8}")
_LEADS_DM = "leads-dm"
_PAGE = re.compile(r"[0-9]{1,4}")


@dataclass(frozen=True)
class LastRun:
    """A schedule's newest run as the Home tab shows it."""

    status: str  # posted, late-posted, failed, skipped, claimed
    due: datetime
    on_demand: bool
    posted_at: datetime | None = None
    channel: str | None = None
    ts: str | None = None
    reason: str | None = None
    attempts: int = 0


@dataclass(frozen=True)
class ScheduleCard:
    """One schedule on a lead's Home tab: what it sends where and when, its next and last run.

    `may_send`: the user leads every project of the schedule (Send now posts each project's digest);
    `not_led`: the projects they do not lead, named when Send now is withheld.
    """

    name: str
    projects: tuple[str, ...]
    targets: tuple[str, ...]
    cron: str
    timezone: str
    next_due: datetime | None
    last: LastRun | None
    may_send: bool
    not_led: tuple[str, ...] = ()
    dm: bool = False  # a leads-dm target: the viewer's own DM run is shown too
    last_dm: LastRun | None = None


@dataclass(frozen=True)
class SendOutcome:
    """What a Send now click did, shown above the schedules after the Home tab is published again."""

    schedule: str
    status: str  # sending (shown while it posts), posted, late-posted, failed, skipped, busy
    channel: str | None = None
    ts: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class DigestsPart:
    """The Home tab's "Scheduled digests" part: the cards shown, how many more, what Send now did."""

    cards: tuple[ScheduleCard, ...]
    more: int
    now: datetime
    workspace_url: str | None = None
    outcome: SendOutcome | None = None


def message_url(workspace_url: str | None, channel: str | None, ts: str | None) -> str | None:
    """A message's permalink, `https://TEAM.slack.com/archives/C…/p…` (chat.getPermalink's shape), built
    from the workspace URL auth.test gave; None when a part is missing or malformed."""
    if not workspace_url or not channel or not ts:
        return None
    if (
        not workspace_url.startswith("https://")
        or not _CONVERSATION.fullmatch(channel)
        or not _TS.fullmatch(ts)
    ):
        return None
    return f"{workspace_url.rstrip('/')}/archives/{channel}/p{ts.replace('.', '')}"


def _channel(target: str) -> str:
    if target == _LEADS_DM:
        return "each lead's DM"
    return f"<#{target}>" if _CHANNEL.fullmatch(target) else f"`{escape(target)}`"


def _listed(items: Sequence[str], shown: int, render: Any) -> str:
    head = ", ".join(render(i) for i in items[:shown])
    rest = len(items) - shown
    return head + (f" and {rest} more" if rest > 0 else "")


def _project(name: str) -> str:
    return kit.shorten(name, NAME_MAX)


def relative(delta: timedelta) -> str:
    """A duration as people say it: "in 3 h 20 min", "in 2 d 4 h", "in less than a minute"."""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 1:
        return "in less than a minute"
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"in {days} d" + (f" {hours} h" if hours else "")
    if hours:
        return f"in {hours} h" + (f" {mins} min" if mins else "")
    return f"in {mins} min"


def _local(moment: datetime, zone: str) -> str:
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local:%a %Y-%m-%d %H:%M} {local.tzname() or zone}"


def _next(card: ScheduleCard, now: datetime) -> str:
    if card.next_due is None:
        return "Next run: _none ahead_ (the cron never matches a day the schedule posts on)"
    return f"Next run: {escape(_local(card.next_due, card.timezone))} ({relative(card.next_due - now)})"


def _last(run: LastRun | None, zone: str, workspace_url: str | None, label: str = "Last run") -> str:
    if run is None:
        return f"{label}: _never run_"
    kind = "on demand" if run.on_demand else f"due {escape(_local(run.due, zone))}"
    if run.status in ("posted", "late-posted"):
        when = _local(run.posted_at or run.due, zone)
        late = " late" if run.status == "late-posted" else ""
        url = message_url(workspace_url, run.channel, run.ts)
        where = link(url, "the message") if url else "a message"
        place = f" in {_channel(run.channel)}" if run.channel and _CHANNEL.fullmatch(run.channel) else ""
        return f"{label}: :white_check_mark: posted{late} {escape(when)} ({kind}): {where}{place}"
    reason = kit.shorten(run.reason or "no reason recorded", REASON_MAX)
    if run.status == "failed":
        tries = f", attempt {run.attempts}" if run.attempts > 1 else ""
        return f"{label}: :x: failed ({kind}{tries}): {reason}"
    if run.status == "skipped":
        return f"{label}: :fast_forward: skipped ({kind}): {reason}"
    return f"{label}: :hourglass_flowing_sand: being posted ({kind})"


def card_text(card: ScheduleCard, now: datetime, workspace_url: str | None) -> str:
    """A schedule's section: name, projects, targets, cron and zone, next run, last result (≤ 3000)."""
    projects = _listed(card.projects, PROJECTS_SHOWN, _project)
    targets = _listed(card.targets, TARGETS_SHOWN, _channel)
    cron = escape(card.cron).replace("`", "'")
    return (
        f"*{escape(card.name)}* · {projects} → {targets}\n"
        f"`{cron}` {escape(card.timezone)}\n"
        f"{_next(card, now)}\n"
        f"{_last(card.last, card.timezone, workspace_url)}"
        + (f"\n{_last(card.last_dm, card.timezone, workspace_url, 'Your DM')}" if card.dm else "")
    )


def _channels(card: ScheduleCard) -> list[str]:
    # On-demand posts go to the channel targets only: each lead's DM comes at their own local time.
    return [t for t in card.targets if t != _LEADS_DM]


def send_confirm(card: ScheduleCard) -> dict[str, Any]:
    """The dialog Slack shows before a Send now click is sent."""
    dms = " (not to the leads' DMs)" if card.dm or _LEADS_DM in card.targets else ""
    text = (
        f"Posts the digest of {', '.join(card.projects)} to {', '.join('#' + c for c in _channels(card))}"
        f"{dms} now, recorded as an on-demand run. The scheduled runs still post."
    )
    return kit.confirm_dialog(f"Send {card.name} now?", text, "Send now", style="primary")


def card_blocks(card: ScheduleCard, now: datetime, workspace_url: str | None) -> list[Block]:
    """A schedule's section and its Preview / Send now buttons (the values carry only the name)."""
    blocks = [kit.section(card_text(card, now, workspace_url))]
    buttons = [kit.button("Preview", HOME_DIGEST_PREVIEW, card.name)]
    sendable = card.may_send and bool(_channels(card))
    if sendable:
        buttons.append(
            kit.button("Send now", HOME_DIGEST_SEND, card.name, style="primary", confirm=send_confirm(card))
        )
    blocks += kit.actions(buttons, block_id=f"home-digest-{card.name}")
    if not card.may_send:
        others = _listed(card.not_led, PROJECTS_SHOWN, _project)
        blocks += kit.note(f"Send now needs a lead of each of its projects; you do not lead {others}.")
    elif not sendable:
        blocks += kit.note("Send now posts to channels; this schedule sends only to the leads' DMs.")
    return blocks


def outcome_text(outcome: SendOutcome, workspace_url: str | None) -> str:
    """What Send now did: the message's link, or why nothing was posted."""
    name = f"*{escape(outcome.schedule)}*"
    if outcome.status in ("posted", "late-posted"):
        url = message_url(workspace_url, outcome.channel, outcome.ts)
        where = link(url, "the message") if url else "the channel"
        place = f" in {_channel(outcome.channel)}" if outcome.channel else ""
        return f":white_check_mark: Sent {name} now: {where}{place}."
    if outcome.status == "sending":
        return f":hourglass_flowing_sand: Sending {name} now… this tab shows the result when it is posted."
    if outcome.status == "busy":
        return f":hourglass_flowing_sand: {name} was not sent: a Send now of it is already running."
    reason = kit.shorten(outcome.reason or "no reason recorded", REASON_MAX)
    verb = "failed" if outcome.status == "failed" else "was skipped"
    return f":x: Send now of {name} {verb}: {reason}"


def digests_blocks(part: DigestsPart) -> list[Block]:
    """The "Scheduled digests" part: at most SCHEDULES_SHOWN cards, a line counting the others."""
    blocks: list[Block] = [kit.header("Scheduled digests")]
    if part.outcome is not None:
        blocks.append(kit.section(outcome_text(part.outcome, part.workspace_url)))
    blocks += kit.note("*Preview* shows what would be posted; *Send now* posts it (an on-demand run).")
    for card in part.cards[:SCHEDULES_SHOWN]:
        blocks += card_blocks(card, part.now, part.workspace_url)
    more = part.more + max(0, len(part.cards) - SCHEDULES_SHOWN)
    if more:
        blocks += kit.note(f"…and {more} more: `annobot digests history` lists every schedule's runs.")
    return blocks


# --- the Preview modal ------------------------------------------------------------------------


def _message_blocks(message: dict[str, Any]) -> list[Block]:
    project = _project(str(message.get("project", "")))
    channels = [str(c) for c in message.get("channels") or []]
    to = _listed(channels, TARGETS_SHOWN, _channel) if channels else "no channel (leads' DMs only)"
    return [kit.divider(), kit.section(f"*{project}* → {to}"), *message.get("blocks", [])]


def preview_pages(messages: Sequence[dict[str, Any]]) -> list[list[Block]]:
    """The `preview` job's messages as modal pages of ≤ PAGE_BLOCKS blocks; a project stays whole when it fits."""
    pages: list[list[Block]] = []
    page: list[Block] = []
    for message in messages:
        blocks = _message_blocks(message)
        # One part when the project fits a page (a digest message is ≤ 50 blocks), else split.
        for part in kit.paginate(blocks, PAGE_BLOCKS, max_chars=None):
            if page and len(page) + len(part) > PAGE_BLOCKS:
                pages.append(page)
                page = []
            page += part
    if page or not pages:
        pages.append(page)
    return pages


def preview_view(name: str, pages: Sequence[Sequence[Block]], index: int) -> dict[str, Any]:
    """Page `index` of a schedule's preview as a modal, with Previous / Next buttons between pages."""
    index = max(0, min(index, len(pages) - 1))
    intro = f"What *Send now* of *{escape(name)}* would post now. Nothing is posted or recorded." + (
        f" Page {index + 1} of {len(pages)}." if len(pages) > 1 else ""
    )
    blocks: list[Block] = [*kit.note(intro), *pages[index]]
    nav = []
    if index > 0:
        nav.append(kit.button("‹ Previous", HOME_DIGEST_PAGE_BACK, f"{name} {index - 1}"))
    if index + 1 < len(pages):
        nav.append(kit.button("Next ›", HOME_DIGEST_PAGE, f"{name} {index + 1}"))
    if nav:
        blocks += kit.actions(nav, block_id="home-digest-pages")
    if len(pages[index]) == 0:
        blocks += kit.note("_Nothing would be posted._")
    return kit.modal(PREVIEW_TITLE, blocks, close="Close", callback_id=PREVIEW_CALLBACK)


def loading_view() -> dict[str, Any]:
    """The modal opened at once (the trigger lasts 3 s), replaced by the preview when it is computed."""
    return kit.modal(PREVIEW_TITLE, kit.sections(f"_{LOADING_TEXT}_"), close="Close")


def parse_page_value(value: str) -> tuple[str, int]:
    """`NAME PAGE` of a page button; ValueError when it is not that."""
    name, _, page = value.partition(" ")
    if not _PAGE.fullmatch(page):
        raise ValueError(f"not a preview page: {value!r}")
    return name, int(page)
