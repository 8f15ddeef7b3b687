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

from sqlalchemy import and_, case, exists, func, or_, select
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
    titles and aliases alone.
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
    t = SectionTerm
    idf = {s: idf[s] for s in stems}
    where = [t.field == (TITLE if title_only else WHOLE), t.stem.in_(stems), t.version_id.in_(versions)]
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
    allowed = []
    if excluded:
        # Looked up per matching section on the primary key: an excluded word may be in every section.
        x = SectionTerm.__table__.alias("x")
        allowed.append(
            ~exists().where(x.c.section_id == g.c.section_id, x.c.field == WHOLE, x.c.stem.in_(excluded))
        )
    counted = select(g, func.count().over().label("total")).where(*allowed).subquery("counted")
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
