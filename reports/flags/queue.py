"""`/flag queue` filters: the text after the subcommand into a `QueueFilter`, or one clear message.

Syntax: words `key:value` (or `key=value`) in any order, each key at most once:
`project:P`, `reason:R`, `section:S` (an anchor, or `slug#anchor`), `assignee:U123|me|none` and
`page:N`. A user mention arrives from Slack as `<@U123>`; the Slack edge rewrites it to `@U123`
before calling `parse_queue_text`, so `assignee:@U123` and `assignee:U123` mean the same. Pure:
no Slack, no SQL, no clock.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from reports.flags.input import DEFAULT_TASK, MAX_ANCHOR, MAX_PROJECT, MAX_REASON, MAX_SLUG, text_problem

KEYS = ("project", "reason", "section", "assignee", "page")
# `assignee:none`: cases nobody is assigned to.
UNASSIGNED = "none"
MAX_PAGE = 10_000
_USER = re.compile(r"@?([UW][A-Z0-9]{1,63})")
_WORD = re.compile(r"(?P<key>[A-Za-z]+)[:=](?P<value>.*)", re.DOTALL)
_LIMITS = {"project": MAX_PROJECT, "reason": MAX_REASON, "section": MAX_SLUG + 1 + MAX_ANCHOR}


class QueueSyntaxError(ValueError):
    """The filter text cannot be read; the message says which word and why (plain text)."""


@dataclass(frozen=True)
class QueueFilter:
    """What `/flag queue` lists: unresolved cases matching every filter given, one page of them."""

    project: str | None = None
    reason: str | None = None
    section: str | None = None
    # A user id; UNASSIGNED for cases nobody holds; None for anyone's.
    assignee: str | None = None
    page: int = 1

    def describe(self) -> str:
        """The filters as typed back (raw text), e.g. "project:reviews assignee:none"; "" for none."""
        parts = [f"{k}:{v}" for k, v in (("project", self.project), ("reason", self.reason)) if v]
        if self.section:
            parts.append(f"section:{self.section}")
        if self.assignee:
            parts.append(f"assignee:{self.assignee}")
        return " ".join(parts)


@dataclass(frozen=True)
class DecisionDraft:
    """What the adjudication modal holds, as typed and chosen (raw text; checked into a Decision)."""

    final_label: str
    outcome: str
    note: str = ""
    section_to_change: str = ""
    add_to_gold: bool = False
    task: str = ""  # chosen only when the item is in several tasks


def _short(word: str) -> str:
    shown = " ".join(word.split())
    return shown if len(shown) <= 40 else shown[:39] + "…"


def parse_queue_text(text: str, user_id: str) -> QueueFilter:
    """The filters of `text` (`me` becomes `user_id`); QueueSyntaxError names a bad word."""
    found: dict[str, str] = {}
    for word in text.split():
        m = _WORD.fullmatch(word)
        if m is None:
            raise QueueSyntaxError(
                f"'{_short(word)}' is not a filter; write key:value with a key among {', '.join(KEYS)}"
            )
        key, value = m.group("key").lower(), m.group("value")
        if key not in KEYS:
            raise QueueSyntaxError(f"unknown filter '{_short(key)}' (known: {', '.join(KEYS)})")
        if key in found:
            raise QueueSyntaxError(f"the filter {key} is given twice")
        if not value:
            raise QueueSyntaxError(f"the filter {key} has no value (write {key}:VALUE)")
        limit = _LIMITS.get(key, 100)
        if (why := text_problem(value, limit)) is not None:
            raise QueueSyntaxError(f"the filter {key} {why}")
        found[key] = value
    return QueueFilter(
        project=found.get("project"),
        reason=found.get("reason"),
        section=found.get("section"),
        assignee=_assignee(found["assignee"], user_id) if "assignee" in found else None,
        page=_page(found["page"]) if "page" in found else 1,
    )


def _assignee(value: str, user_id: str) -> str:
    if value.lower() == "me":
        return user_id
    if value.lower() == UNASSIGNED:
        return UNASSIGNED
    m = _USER.fullmatch(value)
    if m is None:
        raise QueueSyntaxError(
            f"assignee '{_short(value)}' is not a user: mention them (@name), or write me or none"
        )
    return m.group(1)


def _page(value: str) -> int:
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= MAX_PAGE:
        raise QueueSyntaxError(f"page must be a number from 1 to {MAX_PAGE:,} (got '{_short(value)}')")
    return int(value)


def page_slice(total: int, page: int, per_page: int) -> tuple[int, int]:
    """(start, end) indexes of `page` (1-based) over `total` entries; an empty slice past the end."""
    start = min((page - 1) * per_page, total)
    return start, min(start + per_page, total)


def decision_task(tasks: Sequence[str], chosen: str) -> tuple[str | None, str | None]:
    """(the task a decision answers, or None with why): the item's only task, the one chosen among
    several, or the default task of an item the store has no labels of (gold is kept per task)."""
    if not tasks:
        return DEFAULT_TASK, None
    if len(tasks) == 1:
        return tasks[0], None
    if chosen in tasks:
        return chosen, None
    return None, f"the item is in {len(tasks)} tasks: choose the one the final label answers"
