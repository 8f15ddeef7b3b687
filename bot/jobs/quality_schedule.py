"""`/quality schedule list|add|pause|resume|remove`: digest schedules managed from Slack by leads.

Text, not a modal: a lead can type (or paste, or keep in a note) one line, and every error names the
field it is about, ephemerally. The syntax:

    /quality schedule add NAME PROJECT[,PROJECT…] "CRON" [TIME_ZONE] TARGET… [OPTION…]

TARGET is a channel (picked from Slack's list, it arrives as `<#C123|name>`; a C…/G… id works too)
or `leads-dm`; OPTION is `window=1d|7d|12h|since-last`, `holidays=DE` or `holidays=DE-BY`,
`charts=on|off`, `html=on|off`, `grace=6h`, `working-days`. TIME_ZONE defaults to `[reports] timezone`.

Who may do what: everyone lists (it shows what the channels see anyway: when and where digests go);
a lead (or manager) of every project of a schedule adds, pauses, resumes or removes it. The role is
decided as soon as the projects are known, before the rest of the text is read, so a non-lead is
refused (and audited) whatever else was typed. An allowed change is one transaction: the schedule's
row and its audit row. Config schedules are read-only here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from bot.authz.explain import denial_message
from bot.authz.guard import Authorizer, audit_decision, record_decision
from bot.authz.roles import Action, Decision
from bot.config import Config
from bot.errors import ConflictError, DeniedError, InputError
from bot.jobs.answer import Answer
from bot.jobs.schedule_source import ScheduleEntry, all_schedules, find_entry
from bot.slack.quality.builder import (
    SCHEDULE_USAGE,
    ScheduleLine,
    schedule_done_blocks,
    schedule_help_blocks,
    schedule_list_pages,
)
from bot.store import digest_schedules as stored
from bot.store.db import session_scope
from reports.schedule.due import due_times
from reports.schedule.errors import ScheduleError
from reports.schedule.model import CHANNEL_ID, LEADS_DM, NAME, schedule_from_mapping

SHOWN_MAX = 40  # a typed word quoted back in an error, shortened
TEXT_MAX = 2000  # longer text is not a schedule anyone typed
_QUOTES = {'"': '"', "'": "'", "\u201c": "\u201d", "\u201e": "\u201c", "\u2018": "\u2019"}
_MENTION = re.compile(r"<#([CG][A-Z0-9]{2,30})(?:\|[^<>]*)?>")
_ENTITY = re.compile(r"&(amp|lt|gt);")
_GRACE = re.compile(r"(\d{1,3}(?:\.\d{1,2})?)h?")
_SWITCH = {"on": True, "yes": True, "true": True, "off": False, "no": False, "false": False}
_TYPED = {
    "grace_hours": "grace",
    "holidays_subdivision": "holidays",
    "working_days_only": "working-days",
    "projects": "project",
}
VERBS = ("list", "add", "pause", "resume", "remove")
# How far ahead `list` looks for a schedule's next run (a cron of one day a year still shows).
NEXT_HORIZON = (timedelta(days=8), timedelta(days=400))


@dataclass(frozen=True)
class Token:
    """One word of the command: its text (entities decoded, unless a channel mention) and whether quoted."""

    text: str
    quoted: bool = False


def _shown(word: str) -> str:
    word = " ".join(word.split())
    return word if len(word) <= SHOWN_MAX else word[: SHOWN_MAX - 1] + "…"


def _decode(text: str) -> str:
    # Slack (should_escape) sends `&`, `<`, `>` as entities; one pass, so `&amp;lt;` stays `&lt;`.
    return _ENTITY.sub(lambda m: {"amp": "&", "lt": "<", "gt": ">"}[m[1]], text)


def tokenize(text: str) -> list[Token]:
    """Words of the raw command text; "…", '…' and typographic quotes group words (the cron)."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in _QUOTES:
            end = text.find(_QUOTES[ch], i + 1)
            if end < 0:
                raise InputError(f"a quote opened before {_shown(text[i:])!r} is never closed")
            tokens.append(Token(_decode(text[i + 1 : end]), quoted=True))
            i = end + 1
        else:
            j = i
            while j < n and not text[j].isspace():
                j += 1
            word = text[i:j]
            tokens.append(Token(word if _MENTION.fullmatch(word) else _decode(word)))
            i = j
    return tokens


def _target(word: str) -> str | None:
    """The channel id (or leads-dm) a word names; None when it names none."""
    m = _MENTION.fullmatch(word)
    if m:
        return m[1]
    if word == LEADS_DM or CHANNEL_ID.fullmatch(word):
        return word
    return None


def _field_error(key: str, message: str) -> InputError:
    return InputError(f"'{key}' {message}. Usage: {SCHEDULE_USAGE}")


def _switch(key: str, value: str) -> bool:
    if value.lower() not in _SWITCH:
        raise _field_error(key, f"must be on or off, got {_shown(value)!r}")
    return _SWITCH[value.lower()]


def _option(data: dict[str, Any], word: str) -> None:
    """One `key=value` (or `working-days`) into the schedule mapping."""
    key, _, value = word.partition("=")
    key = key.lower()
    if key in ("working-days", "working_days", "weekdays"):
        data["working_days_only"] = _switch("working-days", value) if value else True
    elif not value:
        raise _field_error(
            _shown(key), "is not an option (window=, holidays=, charts=, html=, grace=, working-days)"
        )
    elif key == "window":
        data["window"] = value
    elif key == "holidays":
        if value.lower() not in ("none", "off"):
            country, _, subdivision = value.partition("-")
            data["holidays"] = country.upper()
            if subdivision:
                data["holidays_subdivision"] = subdivision.upper()
    elif key in ("charts", "html"):
        data[key] = _switch(key, value)
    elif key == "grace":
        m = _GRACE.fullmatch(value)
        if m is None:
            raise _field_error("grace", f"must be hours like 6h or 1.5h, got {_shown(value)!r}")
        data["grace_hours"] = float(m[1])
    else:
        raise _field_error(
            _shown(key), "is not an option (window=, holidays=, charts=, html=, grace=, working-days)"
        )


def parse_projects(tokens: Sequence[Token], projects: Sequence[str]) -> tuple[str, tuple[str, ...]]:
    """NAME and PROJECT[,…] of `add NAME PROJECT …`: what the role is decided on, before the rest."""
    if len(tokens) < 2:
        raise InputError(f"name the schedule and its project. Usage: {SCHEDULE_USAGE}")
    name = tokens[0].text  # checked after the role: a non-lead learns nothing about the rest
    wanted = tuple(dict.fromkeys(p for p in tokens[1].text.split(",") if p))
    configured = ", ".join(projects) or "none"
    if not wanted:
        raise _field_error("project", "must name a project")
    for project in wanted:
        if project not in projects:
            raise _field_error("project", f"{_shown(project)!r} is not configured (configured: {configured})")
    return name, wanted


def parse_add(
    tokens: Sequence[Token], name: str, projects: tuple[str, ...], default_tz: str
) -> dict[str, Any]:
    """The schedule mapping of `add NAME PROJECT "CRON" [TZ] TARGET… [OPTION…]` (validated after)."""
    rest = list(tokens[2:])
    if not rest:
        raise _field_error("cron", 'is required, in quotes: "0 9 * * 1-5"')
    cron = rest.pop(0)
    if not cron.quoted and len(cron.text.split()) < 5:
        raise _field_error(
            "cron", f'needs its five fields in quotes, like "0 9 * * 1-5"; got {_shown(cron.text)!r}'
        )
    data: dict[str, Any] = {
        "name": name,
        "projects": list(projects),
        "cron": cron.text,
        "timezone": default_tz,
    }
    first = rest[0].text if rest else ""
    # A word that is no target, option or channel-looking name is the time zone.
    if first and _target(first) is None and "=" not in first and first[:1] not in "#@<":
        data["timezone"] = rest.pop(0).text
    targets: list[str] = []
    while rest and (target := _target(rest[0].text)) is not None:
        targets.append(target)
        rest.pop(0)
    if not targets:
        got = f", got {_shown(rest[0].text)!r}" if rest else ""
        raise _field_error(
            "targets",
            "must name a channel (pick it from Slack's list, or give its C… id) or leads-dm" + got,
        )
    data["targets"] = targets
    for token in rest:
        _option(data, token.text)
    return data


def _decide(authorizer: Authorizer, user: str, projects: Sequence[str]) -> list[Decision]:
    return [authorizer.may(user, Action.DIGEST_SCHEDULE, p) for p in projects]


def _refuse_unless_allowed(engine: Engine, decisions: list[Decision], detail: str) -> None:
    """Record the denials (each in the audit table) and raise DeniedError when any project is refused."""
    denied = [d for d in decisions if not d.allowed]
    if not denied:
        return
    for decision in denied:
        record_decision(engine, decision, detail)
    raise DeniedError(denial_message(denied[0]))


def _next_run(entry: ScheduleEntry, now: datetime) -> datetime | None:
    if entry.paused:
        return None
    for horizon in NEXT_HORIZON:
        dues = due_times(entry.schedule, now, now + horizon)
        if dues:
            return dues[0]
    return None


def list_answer(engine: Engine, config: Config, now: datetime) -> Answer:
    """`/quality schedule list`: every schedule with its source, state, cron, zone, targets, next run."""
    with session_scope(engine) as session:
        entries = all_schedules(session, config)
    lines = [ScheduleLine(e.schedule, e.source, e.paused, e.created_by, _next_run(e, now)) for e in entries]
    return Answer(schedule_list_pages(lines), f"{len(lines)} digest schedule(s)")


def _done(message: str) -> Answer:
    return Answer([schedule_done_blocks(message)], message)


def add_schedule(
    engine: Engine, authorizer: Authorizer, config: Config, user: str, tokens: Sequence[Token], now: datetime
) -> Answer:
    """`add …`: refused (audited) unless the user leads every project; else stored with its audit row."""
    projects = [p.name for p in config.projects]
    name, wanted = parse_projects(tokens, projects)
    detail = f"add schedule {_shown(name)}"
    decisions = _decide(authorizer, user, wanted)
    _refuse_unless_allowed(engine, decisions, detail)
    if not NAME.fullmatch(name):
        raise _field_error(
            "name", f"must be a slug of 1-40 characters (a-z, 0-9, _ and -), got {_shown(name)!r}"
        )
    data = parse_add(tokens, name, wanted, config.reports.timezone)
    try:
        schedule = schedule_from_mapping(data, config.reports.timezone)
    except ScheduleError as exc:
        # Named as the lead typed it (`grace=`), not as the mapping calls it (`grace_hours`).
        raise _field_error(_TYPED.get(exc.key, exc.key), exc.message) from None
    if any(s.name == name for s in config.digests):
        raise ConflictError(f"'name' {name!r} is a schedule of the config file: choose another name")
    fields = {k: v for k, v in data.items() if k != "name"}
    with session_scope(engine) as session:
        # The schedule and its audit rows commit together, or neither does.
        stored.add_schedule(session, name, fields, user, now)
        for decision in decisions:
            audit_decision(session, decision, f"{detail}: {schedule.cron.expr} {schedule.timezone}")
    return _done(f"Added schedule {name}: the first run is the next one due from now.")


def change_schedule(
    engine: Engine, authorizer: Authorizer, config: Config, user: str, verb: str, name: str, now: datetime
) -> Answer:
    """`pause|resume|remove NAME`: refused (audited) unless the user leads its projects; config is read-only."""
    if not NAME.fullmatch(name):
        raise _field_error("name", f"must be a schedule name, got {_shown(name)!r}")
    with session_scope(engine) as session:
        entry = find_entry(session, config, name)
    detail = f"{verb} schedule {name}"
    decisions = _decide(authorizer, user, entry.schedule.projects)
    _refuse_unless_allowed(engine, decisions, detail)
    if entry.read_only:
        raise InputError(
            f"schedule {name!r} is defined in the config file ([[digests]]) and is read-only here: "
            "change it in the config. Slack manages the schedules added with /quality schedule add."
        )
    with session_scope(engine) as session:
        if verb == "remove":
            changed = stored.remove_schedule(session, name)
        else:
            changed = stored.set_paused(session, name, verb == "pause", now)
        if changed:
            for decision in decisions:
                audit_decision(session, decision, detail)
    if not changed:
        state = {"pause": "paused already", "resume": "not paused", "remove": "gone already"}[verb]
        return _done(f"Schedule {name} is {state}: nothing changed.")
    said = {
        "pause": "Paused; its runs are skipped until you resume it",
        "resume": "Resumed; runs missed while it was paused are not posted",
        "remove": "Removed; its past runs stay in `annobot digests history`",
    }[verb]
    return _done(f"Schedule {name}: {said}.")


def schedule_answer(
    engine: Engine, authorizer: Authorizer, config: Config, user: str, text: str, now: datetime
) -> Answer:
    """The answer to `/quality schedule TEXT` (TEXT raw as Slack sends it); InputError/DeniedError explain."""
    if len(text) > TEXT_MAX:
        raise InputError(f"that is longer than any schedule ({TEXT_MAX} characters at most)")
    tokens = tokenize(text)
    verb = tokens[0].text.lower() if tokens else "help"
    args = tokens[1:]
    if verb in ("help", "-h", "--help"):
        return Answer([schedule_help_blocks()], f"How to use {SCHEDULE_USAGE}")
    if verb == "list":
        return list_answer(engine, config, now)
    if verb == "add":
        return add_schedule(engine, authorizer, config, user, args, now)
    if verb in ("pause", "resume", "remove"):
        if len(args) != 1:
            raise InputError(f"name one schedule: /quality schedule {verb} NAME")
        return change_schedule(engine, authorizer, config, user, verb, args[0].text, now)
    raise InputError(
        f"unknown schedule command {_shown(verb)!r} (list, add, pause, resume, remove). Usage: {SCHEDULE_USAGE}"
    )
