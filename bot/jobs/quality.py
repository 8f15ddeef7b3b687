"""`/quality` as jobs: parse the command's text, and the digest of a project's window as ephemeral pages.

The listener (bot/slack/quality/listeners.py) owns the clock and the Slack client; these functions read
the store through the digest job `annobot digest --format json` runs, so the figures are the same.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from bot.errors import InputError
from bot.jobs.answer import Answer
from bot.jobs.digest import DigestRequest, EmptyWindowError, digest_job
from bot.slack.quality.builder import USAGE, answer_pages, empty_message, help_blocks, post_value
from bot.store import digest_shares
from bot.store.db import session_scope

DEFAULT_WINDOW = "7d"
# The longest window a command asks for: a year of days or hours (and no datetime overflow).
MAX_DAYS = 366
_LENGTH = re.compile(r"(\d{1,6})([dh])", re.IGNORECASE)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
SHOWN_MAX = 40  # a typed word quoted back in an error, shortened


@dataclass(frozen=True)
class QualityQuery:
    """What `/quality TEXT` asks: a project's digest over [start, end)."""

    project: str
    start: datetime
    end: datetime


def _shown(word: str) -> str:
    return word if len(word) <= SHOWN_MAX else word[: SHOWN_MAX - 1] + "…"


def _window(words: list[str], now: datetime, tz: str) -> tuple[datetime, list[str]]:
    """The window's start from the words naming it (`7d`, `24h`, `since DATE`), and the other words."""
    rest: list[str] = []
    start: datetime | None = None
    i = 0
    while i < len(words):
        word = words[i]
        m = _LENGTH.fullmatch(word)
        if word.lower() == "since":
            if i + 1 >= len(words) or not _DATE.fullmatch(words[i + 1]):
                raise InputError(f"`since` needs a date like 2026-01-31. Usage: {USAGE}")
            try:
                day = date.fromisoformat(words[i + 1])
            except ValueError:
                raise InputError(f"not a date: {_shown(words[i + 1])!r}. Usage: {USAGE}") from None
            found = datetime.combine(day, time(), ZoneInfo(tz))
            if not found < now:
                raise InputError(f"since {day.isoformat()} is not in the past")
            i += 2
        elif m:
            n, unit = int(m.group(1)), m.group(2).lower()
            hours = n * 24 if unit == "d" else n
            if not 0 < hours <= MAX_DAYS * 24:
                raise InputError(f"a window of 1h to {MAX_DAYS}d, got {_shown(word)!r}")
            found = now - timedelta(hours=hours)
            i += 1
        else:
            rest.append(word)
            i += 1
            continue
        if start is not None:
            raise InputError(f"name one window. Usage: {USAGE}")
        start = found
    if start is None:
        start = now - timedelta(days=int(DEFAULT_WINDOW[:-1]))
    return start, rest


def parse_quality_text(text: str, projects: Sequence[str], now: datetime, tz: str) -> QualityQuery | None:
    """The query of `/quality TEXT` at `now` (aware) in zone `tz`; None for help. InputError explains."""
    words = text.split()
    if [w.lower() for w in words] in (["help"], ["-h"], ["--help"]):
        return None
    start, rest = _window(words, now, tz)
    configured = ", ".join(projects) or "none"
    if len(rest) > 1:
        raise InputError(f"expected at most one project, got {_shown(' '.join(rest))!r}. Usage: {USAGE}")
    if rest:
        if rest[0] not in projects:
            raise InputError(f"unknown project '{_shown(rest[0])}' (configured: {configured})")
        project = rest[0]
    elif len(projects) == 1:
        project = projects[0]
    elif not projects:
        raise InputError("no project is configured: add a [[projects]] table to the config")
    else:
        raise InputError(f"name the project: /quality PROJECT (configured: {configured})")
    return QualityQuery(project, start, now)


def _message(engine: Engine, request: DigestRequest) -> tuple[dict[str, Any], bool]:
    """(chat.postMessage text and blocks, whether the window held annotations)."""
    assert request.start is not None  # `/quality` always names a window
    try:
        # The blocks of bot/slack/digest/builder.py's digest_message, as `--format blocks` prints them.
        message: dict[str, Any] = json.loads(digest_job(engine, replace(request, fmt="blocks")))
    except EmptyWindowError:
        return empty_message(request.project, request.start, request.tz), False
    return message, True


def quality_message(engine: Engine, request: DigestRequest) -> dict[str, Any]:
    """The digest of the request's window as chat.postMessage arguments, or the empty-window line."""
    return _message(engine, request)[0]


def quality_answer(engine: Engine, request: DigestRequest) -> Answer:
    """The ephemeral answer: the digest's pages, a Post to channel button under them (a worker job).

    An empty window has no button: "no annotations since …" is not worth a channel's attention.
    """
    assert request.start is not None and request.end is not None
    message, found = _message(engine, request)
    value = post_value(request.project, request.start, request.end) if found else None
    return Answer(answer_pages(message, value), message["text"])


def help_answer() -> Answer:
    """`/quality help`."""
    return Answer([help_blocks()], f"How to use {USAGE}")


def claim_post(
    engine: Engine, channel: str, project: str, start: datetime, end: datetime, user: str, now: datetime
) -> tuple[str, digest_shares.Share | None]:
    """(the share's key, None when this click posts the digest, else who posted or is posting it)."""
    key = digest_shares.share_key(channel, project, start, end)
    with session_scope(engine) as session:
        return key, digest_shares.claim_share(
            session, key, channel=channel, project=project, user=user, now=now
        )


def release_post(engine: Engine, key: str, user: str) -> None:
    """Slack refused the post: a later click may try again."""
    with session_scope(engine) as session:
        digest_shares.release_share(session, key, user)


def record_post(engine: Engine, key: str, ts: str) -> None:
    """The posted message's ts, so later clicks say it is there."""
    with session_scope(engine) as session:
        digest_shares.record_share(session, key, ts)
