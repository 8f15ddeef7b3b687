"""Confirmed answers rank first: the precedent of a question, followed into the version searched.

A re-order after the search (bot/store/search.py is untouched): the section confirmed most often for
the same or a near-identical question (guidelines.search.precedent) goes first, when it exists in the
version searched of its guideline (current, or the pinned one); an anchor gone from that version is
followed by the section's title, and a section gone altogether is ignored.
"""

from __future__ import annotations

import json
from dataclasses import replace

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.store.feedback import key_hash
from bot.store.models.feedback import Precedent
from bot.store.models.guidelines import Guideline, GuidelineVersion, Section
from bot.store.search import SNIPPET_WORDS, SearchResult
from guidelines.model import SearchHit
from guidelines.search.precedent import near_identical, question_key

# Near-identical questions are looked for among this many of the newest precedents.
NEAR_SCAN = 500


def _candidates(session: Session, key: str) -> list[tuple[str, str, str]]:
    """(guideline, anchor, title) confirmed for this question, most confirmations (by distinct users) first."""
    p = Precedent
    exact = select(p.id).where(p.key_hash == key_hash(key), p.query_key == key)
    ids = list(session.scalars(exact))
    if not ids:
        recent = session.execute(select(p.id, p.query_key).order_by(p.id.desc()).limit(NEAR_SCAN))
        ids = [i for i, k in recent if near_identical(key, k)]
    if not ids:
        return []
    rows = session.execute(
        select(p.guideline, p.anchor, func.count(func.distinct(p.user_id)), func.max(p.id))
        .where(p.id.in_(ids))
        .group_by(p.guideline, p.anchor)
    ).all()
    rows.sort(key=lambda r: (-r[2], -r[3]))
    titles = dict(session.execute(select(p.id, p.title).where(p.id.in_([r[3] for r in rows]))).all())
    return [(g, a, titles[last]) for g, a, _, last in rows]


def _section(session: Session, slug: str, version: str | None, anchor: str, title: str) -> SearchHit | None:
    """The section in the version searched (by anchor, else by its unique title), as a hit; None if gone."""
    v = GuidelineVersion
    stmt = (
        select(Section, v.version, Guideline.title)
        .join(v, v.id == Section.version_id)
        .join(Guideline, Guideline.id == v.guideline_id)
        .where(Guideline.slug == slug, v.version == version if version else v.is_current)
    )
    found = session.execute(stmt.where(Section.anchor == anchor)).first()
    if found is None:
        by_title = session.execute(stmt.where(Section.title == title).limit(2)).all()
        found = by_title[0] if len(by_title) == 1 else None
    if found is None:
        return None
    section, at, guideline_title = found
    current = session.scalars(
        select(v.version)
        .join(Guideline, Guideline.id == v.guideline_id)
        .where(Guideline.slug == slug, v.is_current)
    ).first()
    path = json.loads(section.path) if isinstance(section.path, str) else section.path
    return SearchHit(
        guideline=slug,
        guideline_title=guideline_title,
        version=at,
        current_version=current or at,
        anchor=section.anchor,
        title=section.title,
        path=tuple(path),
        snippet=" ".join(section.plain.split()[:SNIPPET_WORDS]),
        score=0.0,
    )


def with_precedent(
    session: Session, query: str, result: SearchResult, *, version: str | None
) -> SearchResult:
    """`result` with the question's confirmed section first (moved up, or added), if it has one."""
    key = question_key(query)
    if not key:
        return result
    for slug, anchor, title in _candidates(session, key):
        hit = _section(session, slug, version, anchor, title)
        if hit is None:
            continue
        same = [
            h
            for h in result.hits
            if (h.guideline, h.version, h.anchor) == (hit.guideline, hit.version, hit.anchor)
        ]
        rest = [h for h in result.hits if h not in same]
        top = replace(same[0] if same else hit, score=max([h.score for h in result.hits], default=0.0))
        # As many hits as the search gave: an added section pushes the last one out.
        hits = [top, *rest][: max(len(result.hits), 1)]
        return replace(result, hits=hits, total=result.total + (0 if same else 1))
    return result
