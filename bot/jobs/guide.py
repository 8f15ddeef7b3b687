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
from bot.store.fused import fuse_semantic, lexical_depth
from bot.store.guidelines import diff_versions, get_section, get_version, version_exists
from bot.store.lookups import record_lookup
from bot.store.search import search_sections
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


def answer(session: Session, text: str, *, user_id: str, max_results: int = 5) -> Answer:
    """The reply to a `/guide` text or a mention; searches are remembered for the user's App Home."""
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
    # Every read first: the pinned version, the hits, and near misses when nothing matched.
    if req.version and not version_exists(session, req.version):
        raise InputError(f"no guideline has a published version {req.version}")
    # Every lexical candidate, then the fusion with the sections' meaning (when the extra is installed).
    lexical = search_sections(session, req.query, version=req.version, limit=lexical_depth(max_results))
    result = fuse_semantic(session, req.query, lexical, version=req.version, limit=max_results)
    suggestions = [] if result.hits else closest_sections(session, req.query)
    # Then the blocks.
    top = result.hits[0] if result.hits else None
    lookup = (user_id, req.query, top.guideline if top else None, top.anchor if top else None)
    if not result.hits:
        blocks = no_match_blocks(req.query, suggestions)
        return Answer([blocks], kit.fallback_text("No guideline section matched", req.query), lookup)
    shown = result.hits[:MAX_HITS_SHOWN]
    trees = trees_citing_sections(session, [(h.guideline, h.version, h.anchor) for h in shown])
    blocks = search_results_blocks(
        req.query, result.hits, pinned=req.version, total=result.total, trees=trees
    )
    return Answer([blocks], kit.fallback_text("Guideline answers", req.query), lookup)


def answer_and_remember(engine: Engine, text: str, *, user_id: str, max_results: int = 5) -> Answer:
    """`answer` in a read transaction, then the lookup in a short write transaction of its own.

    Separate so that a reader never upgrades to a writer: on SQLite that upgrade fails at once
    ("database is locked") when another request wrote meanwhile, instead of waiting its turn.
    """
    with session_scope(engine) as session:
        result = answer(session, text, user_id=user_id, max_results=max_results)
    if result.step is not None:
        remember_step(engine, result.step, user_id)
    if result.lookup and user_id:
        try:
            with session_scope(engine) as session:
                record_lookup(session, *result.lookup)
        except SQLAlchemyError:
            # The answer matters more than the history line: log and still answer.
            log.exception("could not record a lookup")
    return result


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
