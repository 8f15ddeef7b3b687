"""Confirmed answers rank first: the precedent of a question, followed into the version searched.

A re-order after the search (bot/store/search.py is untouched): the section confirmed most often for
the same or a near-identical question (guidelines.search.precedent) goes first, when it exists in the
version searched of its guideline (current, or the pinned one); an anchor gone from that version is
followed by the section's title, and a section gone altogether is ignored.
"""

from __future__ import annotations

import json
from dataclasses import replace

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased

from bot.store.feedback import key_hash
from bot.store.models.feedback import Precedent
from bot.store.models.guidelines import Guideline, GuidelineVersion, Section
from bot.store.search import SNIPPET_WORDS, SearchResult
from guidelines.model import SearchHit
from guidelines.search.precedent import near_identical, question_key

# Near-identical questions are looked for among this many of the newest precedents.
NEAR_SCAN = 500


def _candidates(session: Session, key: str) -> list[tuple[str, str, str]]:
    """(guideline, anchor, title) confirmed for this question, most confirmations (by distinct users) first,
    then the latest; the title is the latest confirmation's."""
    p = Precedent
    cols = (p.id, p.user_id, p.guideline, p.anchor, p.title)
    rows = [
        tuple(r)
        for r in session.execute(select(*cols).where(p.key_hash == key_hash(key), p.query_key == key))
    ]
    if not rows:
        recent = session.execute(select(*cols, p.query_key).order_by(p.id.desc()).limit(NEAR_SCAN))
        rows = [tuple(r[:5]) for r in recent if near_identical(key, r[5])]
    groups: dict[tuple[str, str], tuple[set[str], int, str]] = {}
    for id_, user, slug, anchor, title in rows:
        users, last, latest = groups.get((slug, anchor), (set(), 0, title))
        users.add(user)
        groups[slug, anchor] = (users, id_, title) if id_ > last else (users, last, latest)
    ranked = sorted(groups.items(), key=lambda kv: (-len(kv[1][0]), -kv[1][1]))
    return [(slug, anchor, title) for (slug, anchor), (_, _, title) in ranked]


def _section(session: Session, slug: str, version: str | None, anchor: str, title: str) -> SearchHit | None:
    """The section in the version searched (by anchor, else by its unique title), as a hit; None if gone."""
    v, cv = GuidelineVersion, aliased(GuidelineVersion)
    current = select(cv.version).where(cv.guideline_id == Guideline.id, cv.is_current).scalar_subquery()
    found = session.execute(
        select(
            Section.anchor, Section.title, Section.path, Section.plain, v.version, Guideline.title, current
        )
        .join(v, v.id == Section.version_id)
        .join(Guideline, Guideline.id == v.guideline_id)
        .where(Guideline.slug == slug, v.version == version if version else v.is_current)
        .where(or_(Section.anchor == anchor, Section.title == title))
    ).all()
    by_anchor = [r for r in found if r[0] == anchor]
    by_title = [r for r in found if r[1] == title]
    match = by_anchor or (by_title if len(by_title) == 1 else [])
    if not match:
        return None
    at_anchor, at_title, path, plain, at, guideline_title, current_version = match[0]
    return SearchHit(
        guideline=slug,
        guideline_title=guideline_title,
        version=at,
        current_version=current_version or at,
        anchor=at_anchor,
        title=at_title,
        path=tuple(json.loads(path) if isinstance(path, str) else path),
        snippet=" ".join(plain.split()[:SNIPPET_WORDS]),
        score=0.0,
    )


def with_precedent(
    session: Session, query: str, result: SearchResult, *, version: str | None, guideline: str | None = None
) -> SearchResult:
    """`result` with the question's confirmed section first (moved up, or added), if it has one; with a
    `guideline` assumed (named, the channel's, the thread's), only that guideline's precedents count."""
    key = question_key(query)
    if not key:
        return result
    for slug, anchor, title in _candidates(session, key):
        if guideline is not None and slug != guideline:
            continue
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
