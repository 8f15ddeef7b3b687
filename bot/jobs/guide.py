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
from bot.store.guidelines import diff_versions, get_section, get_version, version_exists
from bot.store.lookups import record_lookup
from bot.store.precedents import with_precedent
from bot.store.search import SearchResult, search_sections
from bot.store.trees import trees_citing_sections

log = logging.getLogger("annobot.slack")

# `QUERY @1.0.0` (or `@v1.0.0`) at the very end pins a version; a mention like `<@U1>` never matches.
_PIN = re.compile(r"(?:^|\s)@v?(\d+(?:\.\d+){0,2}(?:[-+][0-9A-Za-z.+-]+)?)\s*$")


@dataclass(frozen=True)
class GuideRequest:
    """A parsed `/guide` text."""

    kind: Literal["search", "diff", "help", "tree"]
    query: str = ""
    version: str | None = None
    slug: str = ""
    old: str = ""
    new: str = ""


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
    if pin:
        query = stripped[: pin.start()].strip()
        if query:
            return GuideRequest("search", query=query, version=pin.group(1))
    return GuideRequest("search", query=stripped)


def help_answer() -> Answer:
    """How to use `/guide` (no store needed)."""
    return Answer([help_blocks()], "How to use /guide")


@dataclass(frozen=True)
class _Search:
    """Everything a search answer shows, read before the lookup is recorded and the blocks are built."""

    req: GuideRequest
    result: SearchResult
    suggestions: list[tuple[str, str, str, str]]
    trees: dict[tuple[str, str, str], list[str]]

    def lookup(self, user_id: str) -> tuple[str, str, str | None, str | None]:
        top = self.result.hits[0] if self.result.hits else None
        return (user_id, self.req.query, top.guideline if top else None, top.anchor if top else None)

    def shown(self) -> list[list[str]]:
        """The hits the answer shows, in order: what a Helpful button's position refers to."""
        return [[h.guideline, h.version, h.anchor] for h in self.result.hits[:MAX_HITS_SHOWN]]


def _read(session: Session, text: str, *, max_results: int) -> Answer | _Search:
    """A whole answer for help, trees and diffs; for a search, every read it needs."""
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
    result = search_sections(session, req.query, version=req.version, limit=max_results)
    # A confirmed answer to the same question goes first (bot/store/precedents.py).
    result = with_precedent(session, req.query, result, version=req.version)
    suggestions = [] if result.hits else closest_sections(session, req.query)
    shown = result.hits[:MAX_HITS_SHOWN]
    trees = trees_citing_sections(session, [(h.guideline, h.version, h.anchor) for h in shown])
    return _Search(req, result, suggestions, {k: list(v) for k, v in trees.items()})


def _build(search: _Search, user_id: str, lookup_id: int | None) -> Answer:
    """The blocks of a search answer; with a recorded lookup, its feedback buttons."""
    req, result = search.req, search.result
    lookup = search.lookup(user_id)
    if not result.hits:
        blocks = no_match_blocks(req.query, search.suggestions, lookup_id)
        return Answer([blocks], kit.fallback_text("No guideline section matched", req.query), lookup)
    blocks = search_results_blocks(
        req.query,
        result.hits,
        pinned=req.version,
        total=result.total,
        trees=search.trees,
        lookup_id=lookup_id,
    )
    return Answer([blocks], kit.fallback_text("Guideline answers", req.query), lookup)


def answer(session: Session, text: str, *, user_id: str, max_results: int = 5) -> Answer:
    """The reply to a `/guide` text or a mention, without recording it (so without feedback buttons)."""
    read = _read(session, text, max_results=max_results)
    return read if isinstance(read, Answer) else _build(read, user_id, None)


def answer_and_remember(
    engine: Engine, text: str, *, user_id: str, max_results: int = 5, channel: str | None = None
) -> Answer:
    """The answer read in a read transaction, the lookup recorded in a short write transaction of its
    own, then the blocks, whose feedback buttons carry the lookup's id.

    Separate so that a reader never upgrades to a writer: on SQLite that upgrade fails at once
    ("database is locked") when another request wrote meanwhile, instead of waiting its turn.
    """
    with session_scope(engine) as session:
        read = _read(session, text, max_results=max_results)
    if isinstance(read, Answer):
        if read.step is not None:
            remember_step(engine, read.step, user_id)
        return read
    lookup_id = None
    if user_id:
        try:
            with session_scope(engine) as session:
                lookup_id = record_lookup(
                    session, *read.lookup(user_id), channel=channel or None, hits=read.shown()
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
        row.title, slug, row.version, current, tuple(section.path), anchor, section.body, shared_by=shared_by
    )
    return Answer(kit.paginate(blocks), kit.fallback_text(f"{section.title} ({slug}@{row.version})"))
