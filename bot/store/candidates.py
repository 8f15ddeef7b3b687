"""Candidate sections above FULL_SCAN, chosen alike on both backends from the stored integer postings.

The shared BM25F (bot/store/search.py `rank_pool`) orders what this picks. The pick is a sum of
integer products, `section_terms.weight` (stored at publish) times the stem's idf as an integer
(computed here from the shared document frequencies and bound as parameters): exact on SQLite and
PostgreSQL, so both choose the same sections. Ties at the cut break on the section's position, then
its guideline's slug and version, in Python: never on row ids.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from bot.store.models.guidelines import Guideline, GuidelineVersion, SectionTerm
from guidelines.search.postings import TITLE, WHOLE, idf_weight
from guidelines.search.ranking import STOPWORDS, ParsedQuery, stem

# An integer idf below this (idf < 0.05: the stem is in over 95% of the sections) is left out of the
# choice when the query has other terms.
NEGLIGIBLE_IDF = 50


@dataclass(frozen=True)
class Candidate:
    """A chosen section: its id, selection score and the stable keys the cut is ordered by."""

    id: int
    score: int
    position: int
    slug: str
    version: str


def selection_terms(
    plan: ParsedQuery, features: Sequence[str]
) -> tuple[list[str], list[list[str]], list[str]]:
    """The stems a section may match on (terms and features), each phrase's stems, the excluded stems."""
    terms = list(dict.fromkeys([*(stem(t) for t in plan.terms), *features]))
    phrases = [list(dict.fromkeys(stem(w) for w in p if w not in STOPWORDS)) for p in plan.phrases]
    excluded = sorted({stem(w) for w in plan.excluded})
    return terms, [p for p in phrases if p], excluded


def choose(
    session: Session,
    plan: ParsedQuery,
    features: Sequence[str],
    df: Mapping[str, int],
    sections: int,
    versions: list[int],
    title_only: bool,
    limit: int,
) -> tuple[list[Candidate], int]:
    """The best `limit` sections of these versions by the integer selection score, and how many matched.

    A section matches when it holds a term or feature stem, or every stem of a phrase (whether in a
    row is for the caller to check on the stored stems), and no excluded stem; `title_only` looks in
    titles and aliases alone. A one-stem query reads its postings best first (`_ordered`); others, or
    when that cannot prove the cut, sum over every matching section (`_exact`).
    """
    terms, phrases, excluded = selection_terms(plan, features)
    idf = {s: idf_weight(df.get(s, 1), sections) for s in [*terms, *(w for p in phrases for w in p)]}
    # A word in nearly every section weighs nothing in the sum, yet reading its postings is most of
    # the titles-only plan's work: beside weightier terms it chooses nothing.
    weighty = [s for s in terms if idf[s] >= NEGLIGIBLE_IDF]
    terms = weighty or terms
    stems = list(dict.fromkeys([*terms, *(w for p in phrases for w in p)]))
    if not stems or not versions:
        return [], 0
    idf = {s: idf[s] for s in stems}
    query = _Query(terms, phrases, excluded, stems, idf, TITLE if title_only else WHOLE, versions)
    if phrases:
        return _exact(session, query, limit)
    ordered = _ordered(session, query, limit) if len(stems) == 1 else None
    return ordered if ordered is not None else _summed(session, query, limit)


@dataclass(frozen=True)
class _Query:
    """What a section is matched and scored on: stems, their integer idfs, the field, the versions."""

    terms: list[str]
    phrases: list[list[str]]
    excluded: list[str]
    stems: list[str]
    idf: dict[str, int]
    field: int
    versions: list[int]


def _summed(session: Session, query: _Query, limit: int) -> tuple[list[Candidate], int]:
    """choose's answer without phrases from the sum over every matching section, the total counted apart.

    `_exact`'s sum, without its count over the window of every match (on SQLite that window cost
    as much again as the sum: 19 ms against 8.5 + 2.1 for `label annotator`, titles only), and with
    excluded sections left out before the sum (NOT IN, `_not_excluded`).
    """
    t = SectionTerm
    idf = query.idf
    where = [t.field == query.field, t.stem.in_(query.stems), t.version_id.in_(query.versions)]
    if len(query.stems) == 1:
        score = (t.weight * idf[query.stems[0]]).label("score")
        scored = select(t.section_id, t.version_id, t.position, score).where(*where, *_not_excluded(query))
    else:
        score = func.sum(t.weight * case(idf, value=t.stem, else_=0)).label("score")
        scored = (
            select(t.section_id, t.version_id, t.position, score)
            .where(*where, *_not_excluded(query))
            .group_by(t.section_id, t.version_id, t.position)
        )
    # Ordered on (score, position) as in `_exact`: the rows tied with the limit-th are all read.
    rows = session.execute(
        scored.order_by(score.desc(), t.position).limit(limit + len(query.versions) - 1)
    ).all()
    if not rows:
        return [], 0
    keys = _where(session, query.versions)
    found = sorted(
        (Candidate(r.section_id, int(r.score), r.position, *keys[r.version_id]) for r in rows),
        key=lambda c: (-c.score, c.position, c.slug, c.version),
    )
    return found[:limit], _count(session, query)


def _exact(session: Session, query: _Query, limit: int) -> tuple[list[Candidate], int]:
    """choose's answer from the sum over every matching section (one statement; phrases need it)."""
    terms, phrases, stems, idf = query.terms, query.phrases, query.stems, query.idf
    versions, title_only = query.versions, query.field == TITLE
    t = SectionTerm
    # Excluded sections left out before the sum (`_not_excluded`): exclusion is per section, so dropping
    # their postings first changes no other section's sum, phrase check or the count.
    where = [
        t.field == (TITLE if title_only else WHOLE),
        t.stem.in_(stems),
        t.version_id.in_(versions),
        *_not_excluded(query),
    ]
    if len(stems) == 1 and not phrases:
        # One stem: one posting per section, no grouping (the common-word queries' case).
        scored = select(
            t.section_id, t.version_id, t.position, (t.weight * idf[stems[0]]).label("score")
        ).where(and_(*where))
    else:
        scored = (
            select(
                t.section_id,
                t.version_id,
                t.position,
                func.sum(t.weight * case(idf, value=t.stem, else_=0)).label("score"),
            )
            .where(and_(*where))
            .group_by(t.section_id, t.version_id, t.position)
        )
    if phrases:
        # One row per section, field and stem (the primary key): counting rows counts distinct stems.
        hits = [func.sum(case((t.stem.in_(p), 1), else_=0)) == len(p) for p in phrases]
        if terms:
            hits.append(func.sum(case((t.stem.in_(terms), 1), else_=0)) > 0)
        scored = scored.having(or_(*hits))
    g = scored.subquery("g")
    counted = select(g, func.count().over().label("total")).subquery("counted")
    # Ordered on (score, position), integers: at most one section per version shares both, so the
    # first limit + versions - 1 rows hold every row tied with the limit-th, whatever order the
    # database gives ties; the cut is then made here, the same on both backends.
    stmt = (
        select(counted, Guideline.slug, GuidelineVersion.version)
        .join(GuidelineVersion, GuidelineVersion.id == counted.c.version_id)
        .join(Guideline, Guideline.id == GuidelineVersion.guideline_id)
        .order_by(counted.c.score.desc(), counted.c.position)
        .limit(limit + len(versions) - 1)
    )
    rows = session.execute(stmt).all()
    if not rows:
        return [], 0
    found = sorted(
        (Candidate(r.section_id, int(r.score), r.position, r.slug, r.version) for r in rows),
        key=lambda c: (-c.score, c.position, c.slug, c.version),
    )
    # Sorted on stable keys, the first `limit` are the same on both backends: every row tied with the
    # limit-th is among those read.
    return found[:limit], int(rows[0].total)


# A one-stem query's matching postings are read best first, a limit's worth plus room for the rows
# tied with it, then this many times more (when ties fill them), up to MAX_READ rows, before the full sum.
GROWTH = 4
MAX_READ = 5000


def _ordered(session: Session, query: _Query, limit: int) -> tuple[list[Candidate], int] | None:
    """choose's answer for one stem and no phrase, from its postings read best first; None when
    MAX_READ rows do not prove the cut.

    One stem: a section's score is its weight times the stem's idf, so the postings in (weight desc,
    position) order (ix_section_terms_top) are the cut's order up to the slug and version of rows
    tied on both. Excluded words are checked on each row read. When the limit-th section comes before
    the last row read in that order (a smaller position if tied on weight), every match not read
    comes after it: the first `limit` are those of the exact sum.
    """
    (stem_,) = query.stems
    idf = query.idf[stem_]
    if idf <= 0:  # every score 0: the order is by position alone, not the index's
        return None
    if stem_ in query.excluded:
        return [], 0
    t = SectionTerm
    where = _where(session, query.versions)
    allowed = _not_excluded(query)
    k = limit + len(query.versions) - 1
    while True:
        stmt = (
            select(t.section_id, t.version_id, t.position, t.weight)
            .where(t.field == query.field, t.stem == stem_, t.version_id.in_(query.versions), *allowed)
            .order_by(t.weight.desc(), t.position)
            .limit(k)
        )
        rows = session.execute(stmt).all()
        found = sorted(
            (Candidate(r.section_id, r.weight * idf, r.position, *where[r.version_id]) for r in rows),
            key=lambda c: (-c.score, c.position, c.slug, c.version),
        )
        if len(rows) < k:  # every match read
            return found[:limit], len(found)
        # Here k = len(rows) >= limit rows were read, so there is a limit-th.
        last, c = rows[-1], found[limit - 1]
        if c.score > last.weight * idf or (c.score == last.weight * idf and c.position < last.position):
            return found[:limit], _count(session, query)
        if k >= MAX_READ:
            return None
        k = min(k * GROWTH, MAX_READ)


def _where(session: Session, versions: list[int]) -> dict[int, tuple[str, str]]:
    """Slug and version of each version id, the cut's stable keys."""
    stmt = (
        select(GuidelineVersion.id, Guideline.slug, GuidelineVersion.version)
        .join(Guideline, Guideline.id == GuidelineVersion.guideline_id)
        .where(GuidelineVersion.id.in_(versions))
    )
    return {vid: (slug, version) for vid, slug, version in session.execute(stmt)}


def _count(session: Session, query: _Query) -> int:
    """How many sections of these versions hold a stem and no excluded stem (what `_exact` counts
    without phrases)."""
    t = SectionTerm
    where = [t.field == query.field, t.stem.in_(query.stems), t.version_id.in_(query.versions)]
    # One row per section, field and stem: one stem's rows are distinct sections.
    counted = func.count() if len(query.stems) == 1 else func.count(t.section_id.distinct())
    return int(session.scalar(select(counted).where(*where, *_not_excluded(query))) or 0)


def _not_excluded(query: _Query) -> list[Any]:
    """The condition that a posting's section holds no excluded stem, or none without excluded stems.

    NOT IN over the excluded stems' postings in these versions: read once per statement (a hashed
    subplan on PostgreSQL, an ephemeral index on SQLite), so the cost is bounded by those postings
    whatever plan a prepared statement gets; a correlated NOT EXISTS got a generic plan on
    PostgreSQL that took 0.6 s for `item -label` (titles only) after a few executions.
    """
    if not query.excluded:
        return []
    x = SectionTerm.__table__.alias("x")
    held = select(x.c.section_id).where(
        x.c.field == WHOLE, x.c.stem.in_(query.excluded), x.c.version_id.in_(query.versions)
    )
    return [SectionTerm.section_id.not_in(held)]
