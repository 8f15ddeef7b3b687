"""What `/guide`, mentions and buttons answer: parse the text, read the store, build the blocks.

The shared engine of the slash command, `@annobot` mentions, App Home buttons and the console:
no Slack client and no SQL here, only a session in and Block Kit pages out (each page ≤ 50
blocks). Each answer goes one way: parse, then every read from the store, then one builder call.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot.errors import InputError
from bot.jobs.answer import Answer
from bot.jobs.trees import remember_step, start_walk, tree_list
from bot.slack.blocks import kit
from bot.slack.blocks.section_link import parse_section_ref
from bot.slack.guide.builder import (
    MAX_HITS_SHOWN,
    diff_blocks,
    help_blocks,
    no_match_blocks,
    search_results_blocks,
    section_blocks,
)
from bot.store.closest import closest_sections
from bot.store.db import session_scope
from bot.store.fused import fused_search
from bot.store.guide_context import Place, ProjectChannels, assumed_guideline
from bot.store.guidelines import diff_versions, get_section, get_version, version_exists
from bot.store.lookups import record_lookup
from bot.store.precedents import with_precedent
from bot.store.search import SearchResult
from bot.store.trees import trees_citing_sections
from guidelines.search.context import Assumed, boost_for

log = logging.getLogger("annobot.slack")
NOWHERE = Place()  # a question with no channel (console, tests): only a named guideline is assumed

# `QUERY @1.0.0` (or `@v1.0.0`) at the very end pins a version; a mention like `<@U1>` never matches.
_PIN = re.compile(r"(?:^|\s)@v?(\d+(?:\.\d+){0,2}(?:[-+][0-9A-Za-z.+-]+)?)\s*$")
# `SLUG: QUESTION` names the guideline to rank first (if SLUG is one; else it is part of the question).
_NAMED = re.compile(r"([A-Za-z0-9][A-Za-z0-9_-]{0,63}):\s+(\S.*)", re.DOTALL)


@dataclass(frozen=True)
class GuideRequest:
    """A parsed `/guide` text."""

    kind: Literal["search", "diff", "help", "tree"]
    query: str = ""
    version: str | None = None
    slug: str = ""
    old: str = ""
    new: str = ""
    # `SLUG: QUESTION`: the slug and the question without it (used if SLUG is a guideline).
    named: str = ""
    named_query: str = ""


def _version(token: str) -> str:
    return token[1:] if token[:1] in ("v", "V") and token[1:2].isdigit() else token


def parse_guide_text(text: str) -> GuideRequest:
    """`help`, empty → help; `diff SLUG V1 V2` → diff; else a search, optionally pinned with `@VERSION`."""
    stripped = text.strip()
    tokens = stripped.split()
    if not tokens or (len(tokens) == 1 and tokens[0].lower() in ("help", "-h", "--help", "?")):
        return GuideRequest("help")
    if tokens[0].lower() == "tree":
        return GuideRequest("tree", query=stripped[len(tokens[0]) :].strip())
    if tokens[0].lower() == "diff":
        if len(tokens) != 4:
            raise InputError("usage: /guide diff SLUG V1 V2, e.g. /guide diff product-sentiment 1.0.0 1.1.0")
        return GuideRequest("diff", slug=tokens[1], old=_version(tokens[2]), new=_version(tokens[3]))
    pin = _PIN.search(stripped)
    version = None
    if pin and stripped[: pin.start()].strip():
        stripped, version = stripped[: pin.start()].strip(), pin.group(1)
    named = _NAMED.fullmatch(stripped)
    if named:
        return GuideRequest(
            "search",
            query=stripped,
            version=version,
            named=named.group(1),
            named_query=named.group(2).strip(),
        )
    return GuideRequest("search", query=stripped, version=version)


def help_answer() -> Answer:
    """How to use `/guide` (no store needed)."""
    return Answer([help_blocks()], "How to use /guide")


@dataclass(frozen=True)
class _Search:
    """Everything a search answer shows, read before the lookup is recorded and the blocks are built."""

    req: GuideRequest
    query: str
    result: SearchResult
    suggestions: list[tuple[str, str, str, str]]
    trees: dict[tuple[str, str, str], list[str]]
    assumed: Assumed | None

    def lookup(self, user_id: str) -> tuple[str, str, str | None, str | None]:
        top = self.result.hits[0] if self.result.hits else None
        return (user_id, self.query, top.guideline if top else None, top.anchor if top else None)

    def shown(self) -> list[list[str]]:
        """The hits the answer shows, in order: what a Helpful button's position refers to."""
        return [[h.guideline, h.version, h.anchor] for h in self.result.hits[:MAX_HITS_SHOWN]]


def _read(
    session: Session,
    text: str,
    *,
    user_id: str,
    max_results: int,
    place: Place,
    projects: tuple[ProjectChannels, ...],
) -> Answer | _Search:
    """A whole answer for help, trees and diffs; for a search, every read it needs.

    A search ranks the assumed guideline first: named with `SLUG: QUESTION`, else the one of the
    thread's last answer, the channel's project, or in a DM the user's last question; then a section
    confirmed for the same question (bot/store/precedents.py) goes first.
    """
    req = parse_guide_text(text)
    if req.kind == "help":
        return help_answer()
    if req.kind == "tree":
        return start_walk(session, req.query) if req.query else tree_list(session)
    if req.kind == "diff":
        diff = diff_versions(session, req.slug, req.old, req.new)
        return Answer(
            kit.paginate(diff_blocks(diff)), kit.fallback_text(f"{req.slug}: {req.old} → {req.new}")
        )
    if req.version and not version_exists(session, req.version):
        raise InputError(f"no guideline has a published version {req.version}")
    assumed = assumed_guideline(session, user_id=user_id, place=place, named=req.named, projects=projects)
    query = req.named_query if assumed and assumed.why == "named" else req.query
    # Every lexical candidate (the assumed guideline's weighed up) fused with the sections' meaning when
    # the extra is installed (the query embedded meanwhile); only the hits kept are highlighted.
    context = assumed.slug if assumed else None
    boost = boost_for(assumed) if assumed else None
    result = fused_search(
        session, query, version=req.version, limit=max_results, context=context, context_boost=boost
    )
    result = with_precedent(
        session, query, result, version=req.version, guideline=assumed.slug if assumed else None
    )
    suggestions = [] if result.hits else closest_sections(session, query)
    shown = result.hits[:MAX_HITS_SHOWN]
    trees = trees_citing_sections(session, [(h.guideline, h.version, h.anchor) for h in shown])
    return _Search(req, query, result, suggestions, {k: list(v) for k, v in trees.items()}, assumed)


def _build(search: _Search, user_id: str, lookup_id: int | None) -> Answer:
    """The blocks of a search answer; with a recorded lookup, its feedback buttons."""
    query, result = search.query, search.result
    lookup = search.lookup(user_id)
    if not result.hits:
        blocks = no_match_blocks(query, search.suggestions, lookup_id)
        return Answer([blocks], kit.fallback_text("No guideline section matched", query), lookup)
    blocks = search_results_blocks(
        query,
        result.hits,
        pinned=search.req.version,
        total=result.total,
        trees=search.trees,
        assumed=search.assumed,
        lookup_id=lookup_id,
    )
    return Answer([blocks], kit.fallback_text("Guideline answers", query), lookup)


def answer(
    session: Session,
    text: str,
    *,
    user_id: str,
    max_results: int = 5,
    place: Place = NOWHERE,
    projects: tuple[ProjectChannels, ...] = (),
) -> Answer:
    """The reply to a `/guide` text or a mention, without recording it (so without feedback buttons)."""
    read = _read(session, text, user_id=user_id, max_results=max_results, place=place, projects=projects)
    return read if isinstance(read, Answer) else _build(read, user_id, None)


def answer_and_remember(
    engine: Engine,
    text: str,
    *,
    user_id: str,
    max_results: int = 5,
    channel: str = "",
    thread_ts: str = "",
    projects: tuple[ProjectChannels, ...] = (),
) -> Answer:
    """The answer read in a read transaction, the lookup recorded in a short write transaction of its
    own, then the blocks, whose feedback buttons carry the lookup's id.

    `channel` and `thread_ts` say where it was asked and where the answer goes (malformed ids count
    as absent); `projects` are the config's, as plain data.

    Separate so that a reader never upgrades to a writer: on SQLite that upgrade fails at once
    ("database is locked") when another request wrote meanwhile, instead of waiting its turn.
    """
    place = Place.of(channel, thread_ts)
    with session_scope(engine) as session:
        read = _read(session, text, user_id=user_id, max_results=max_results, place=place, projects=projects)
    if isinstance(read, Answer):
        if read.step is not None:
            remember_step(engine, read.step, user_id)
        return read
    lookup_id = None
    if user_id:
        try:
            with session_scope(engine) as session:
                lookup_id = record_lookup(
                    session,
                    *read.lookup(user_id),
                    channel=place.channel or None,
                    thread_ts=place.thread_ts or None,
                    hits=read.shown(),
                )
        except SQLAlchemyError:
            # The answer matters more than the history line: log and answer, without feedback buttons.
            log.exception("could not record a lookup")
    return _build(read, user_id, lookup_id)


def section_answer_job(engine: Engine, ref: str, *, shared_by: str | None = None) -> Answer:
    """`section_answer` in a read transaction of its own (a worker job)."""
    with session_scope(engine) as session:
        return section_answer(session, ref, shared_by=shared_by)


def section_answer(session: Session, ref: str, *, shared_by: str | None = None) -> Answer:
    """The whole section named by a button value, split into pages."""
    try:
        slug, version, anchor = parse_section_ref(ref)
    except ValueError as exc:
        raise InputError("that button no longer points at a guideline section") from exc
    row, section = get_section(session, slug, anchor, version)
    current = get_version(session, slug).version if not row.is_current else row.version
    blocks = section_blocks(
        row.title,
        slug,
        row.version,
        current,
        tuple(section.path),
        anchor,
        section.body,
        shared_by=shared_by,
        aliases=tuple(section.aliases),
    )
    return Answer(kit.paginate(blocks), kit.fallback_text(f"{section.title} ({slug}@{row.version})"))
