"""Closest section titles for a query that matched nothing ("did you mean"), by string similarity."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

# A suggestion below this similarity is noise rather than a near miss.
CLOSEST_CUTOFF = 0.35
# Above this many sections, scoring every title with difflib costs seconds (measured: ~5 s for
# 20,000): first find the query's near words in the distinct title vocabulary, then score only
# titles that contain one.
EXACT_SCAN_MAX = 2000
WORD_CUTOFF = 0.7
MAX_QUERY_WORDS = 8

Row = tuple[str, str, str, str]  # slug, version, anchor, title


@dataclass(frozen=True)
class TitleIndex:
    """Section titles, lower-cased and indexed by word."""

    rows: list[Row]
    lowered: list[str]
    by_word: dict[str, list[int]]


def index_titles(rows: Sequence[Row]) -> TitleIndex:
    """The index of these sections' titles (built once, scored many times)."""
    lowered = [r[3].lower() for r in rows]
    by_word: dict[str, list[int]] = {}
    for i, title in enumerate(lowered):
        for word in set(title.split()):
            by_word.setdefault(word, []).append(i)
    return TitleIndex(list(rows), lowered, by_word)


def _candidates(titles: TitleIndex, words: list[str]) -> list[int]:
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


def closest_titles(titles: TitleIndex, query: str, limit: int = 5) -> list[Row]:
    """The sections whose titles look most like `query`, best first (ties by slug, then anchor)."""
    q = " ".join(query.lower().split())
    if not q:
        return []
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
