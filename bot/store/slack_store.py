"""Store queries for the Slack bot: event dedupe, recent lookups, closest section titles."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.store.db import session_scope
from bot.store.models import Guideline, GuidelineVersion, Section
from bot.store.models_slack import Lookup, SlackEvent

RECENT_LOOKUPS = 10
# A suggestion below this similarity is noise rather than a near miss.
CLOSEST_CUTOFF = 0.35
# Above this many current sections, scoring every title with difflib costs seconds (measured: ~5 s
# for 20,000): first find the query's near words in the distinct title vocabulary, then score only
# titles that contain one.
EXACT_SCAN_MAX = 2000
WORD_CUTOFF = 0.7
MAX_QUERY_WORDS = 8


@dataclass(frozen=True)
class RecentLookup:
    """One of a user's recent questions."""

    query: str
    guideline: str | None
    anchor: str | None
    created_at: datetime


def claim_event(engine: Engine, event_id: str) -> bool:
    """Record an Events API delivery in its own transaction; False if it was seen before (any replica)."""
    insert = sqlite_insert if engine.dialect.name == "sqlite" else pg_insert
    stmt = (
        insert(SlackEvent)
        .values(event_id=event_id)
        .on_conflict_do_nothing(index_elements=["event_id"])
        # RETURNING, not rowcount: a row comes back only when this call inserted it.
        .returning(SlackEvent.event_id)
    )
    with session_scope(engine) as session:
        return session.execute(stmt).scalar_one_or_none() is not None


def record_lookup(
    session: Session, user_id: str, query: str, guideline: str | None = None, anchor: str | None = None
) -> None:
    """Remember a question for the user's App Home."""
    session.add(Lookup(user_id=user_id, query=query, guideline=guideline, anchor=anchor))


def recent_lookups(session: Session, user_id: str, limit: int = RECENT_LOOKUPS) -> list[RecentLookup]:
    """The user's latest questions, newest first."""
    rows = session.scalars(
        select(Lookup)
        .where(Lookup.user_id == user_id)
        .order_by(Lookup.created_at.desc(), Lookup.id.desc())
        .limit(limit)
    )
    return [RecentLookup(r.query, r.guideline, r.anchor, r.created_at) for r in rows]


def _titles_with_near_words(rows: list[Any], words: list[str]) -> list[Any]:
    """The rows whose title has a word close to one of `words`."""
    vocabulary = {w for row in rows for w in row.title.lower().split()}
    near: set[str] = set()
    for word in words:
        near.update(difflib.get_close_matches(word, vocabulary, n=20, cutoff=WORD_CUTOFF))
    hits = [(len(near.intersection(row.title.lower().split())), i) for i, row in enumerate(rows)]
    # Titles sharing the most near words first; at most EXACT_SCAN_MAX go on to full scoring.
    best = sorted((h for h in hits if h[0]), key=lambda h: (-h[0], h[1]))[:EXACT_SCAN_MAX]
    return [rows[i] for _, i in sorted(best, key=lambda h: h[1])]


def closest_sections(session: Session, query: str, limit: int = 5) -> list[tuple[str, str, str, str]]:
    """Current sections whose titles look most like `query`: (slug, version, anchor, title)."""
    q = " ".join(query.lower().split())
    if not q:
        return []
    rows = session.execute(
        select(Guideline.slug, GuidelineVersion.version, Section.anchor, Section.title)
        .join(GuidelineVersion, GuidelineVersion.id == Section.version_id)
        .join(Guideline, Guideline.id == GuidelineVersion.guideline_id)
        .where(GuidelineVersion.is_current)
    ).all()
    if len(rows) > EXACT_SCAN_MAX:
        rows = _titles_with_near_words(rows, q.split()[:MAX_QUERY_WORDS])
    matcher = difflib.SequenceMatcher()
    matcher.set_seq2(q)  # SequenceMatcher caches facts about seq2: the query is the fixed side
    scored = []
    for row in rows:
        title = row.title.lower()
        best = 0.0
        # The whole title, or one word of it: a typo of one word ("sarcsm" for "Sarcasm and
        # irony") is a near miss too. The quick upper bounds skip most candidates cheaply.
        for candidate in (title, *title.split()):
            matcher.set_seq1(candidate)
            if matcher.real_quick_ratio() > best and matcher.quick_ratio() > best:
                best = max(best, matcher.ratio())
        if best >= CLOSEST_CUTOFF:
            scored.append((best, tuple(row)))
    scored.sort(key=lambda s: (-s[0], s[1][0], s[1][2]))
    return [s[1] for s in scored[:limit]]  # type: ignore[misc]
