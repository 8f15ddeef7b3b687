"""Closest section titles for a query that matched nothing ("did you mean"), by string similarity."""

from __future__ import annotations

import difflib
import threading
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store.models.guidelines import Guideline, GuidelineVersion, Section

# A suggestion below this similarity is noise rather than a near miss.
CLOSEST_CUTOFF = 0.35
# Above this many current sections, scoring every title with difflib costs seconds (measured: ~5 s
# for 20,000): first find the query's near words in the distinct title vocabulary, then score only
# titles that contain one.
EXACT_SCAN_MAX = 2000
WORD_CUTOFF = 0.7
MAX_QUERY_WORDS = 8

Row = tuple[str, str, str, str]  # slug, version, anchor, title


@dataclass(frozen=True)
class _Titles:
    """The current section titles, lower-cased and indexed by word."""

    key: tuple[object, ...]
    rows: list[Row]
    lowered: list[str]
    by_word: dict[str, list[int]]


# One entry per database: reading 20,000 titles costs more than scoring them, and they change only
# when a guideline version is published. Each use checks the key against the database first, so
# a publish by any process or replica is seen at once (this caches, it holds no shared state).
_cache: dict[str, _Titles] = {}
_lock = threading.Lock()


def _catalog_key(session: Session) -> tuple[object, ...]:
    # What the current titles depend on: one short row per guideline. Content hashes, not only
    # ids, so that a database rebuilt with reused ids is never mistaken for the cached one.
    rows = session.execute(
        select(GuidelineVersion.id, Guideline.slug, GuidelineVersion.content_hash)
        .join(Guideline, Guideline.id == GuidelineVersion.guideline_id)
        .where(GuidelineVersion.is_current)
        .order_by(GuidelineVersion.id)
    ).all()
    return tuple(tuple(r) for r in rows)


def _titles(session: Session) -> _Titles:
    bind = session.get_bind()
    where = bind.url.render_as_string(hide_password=True)
    key = _catalog_key(session)
    cached = _cache.get(where)
    if cached is not None and cached.key == key:
        return cached
    rows: list[Row] = [
        (r[0], r[1], r[2], r[3])
        for r in session.execute(
            select(Guideline.slug, GuidelineVersion.version, Section.anchor, Section.title)
            .join(GuidelineVersion, GuidelineVersion.id == Section.version_id)
            .join(Guideline, Guideline.id == GuidelineVersion.guideline_id)
            .where(GuidelineVersion.is_current)
            .order_by(Section.id)
        )
    ]
    lowered = [r[3].lower() for r in rows]
    by_word: dict[str, list[int]] = {}
    for i, title in enumerate(lowered):
        for word in set(title.split()):
            by_word.setdefault(word, []).append(i)
    titles = _Titles(key, rows, lowered, by_word)
    with _lock:
        _cache[where] = titles
    return titles


def _candidates(titles: _Titles, words: list[str]) -> list[int]:
    """Indexes of the titles sharing the most near words with the query (at most EXACT_SCAN_MAX)."""
    near: set[str] = set()
    for word in words:
        near.update(difflib.get_close_matches(word, titles.by_word.keys(), n=20, cutoff=WORD_CUTOFF))
    shared: dict[int, int] = {}
    for word in near:
        for i in titles.by_word[word]:
            shared[i] = shared.get(i, 0) + 1
    best = sorted(shared.items(), key=lambda h: (-h[1], h[0]))[:EXACT_SCAN_MAX]
    return sorted(i for i, _ in best)


def closest_sections(session: Session, query: str, limit: int = 5) -> list[Row]:
    """Current sections whose titles look most like `query`: (slug, version, anchor, title)."""
    q = " ".join(query.lower().split())
    if not q:
        return []
    titles = _titles(session)
    indexes = (
        range(len(titles.rows))
        if len(titles.rows) <= EXACT_SCAN_MAX
        else _candidates(titles, q.split()[:MAX_QUERY_WORDS])
    )
    matcher = difflib.SequenceMatcher()
    matcher.set_seq2(q)  # SequenceMatcher caches facts about seq2: the query is the fixed side
    scored = []
    for i in indexes:
        title = titles.lowered[i]
        best = 0.0
        # The whole title, or one word of it: a typo of one word ("sarcsm" for "Sarcasm and
        # irony") is a near miss too. The quick upper bounds skip most candidates cheaply.
        for candidate in (title, *title.split()):
            matcher.set_seq1(candidate)
            if matcher.real_quick_ratio() > best and matcher.quick_ratio() > best:
                best = max(best, matcher.ratio())
        if best >= CLOSEST_CUTOFF:
            scored.append((best, titles.rows[i]))
    scored.sort(key=lambda s: (-s[0], s[1][0], s[1][2]))
    return [s[1] for s in scored[:limit]]
