"""The current section titles for "did you mean", read once per database and cached until a publish.

The scoring is pure (guidelines.search.closest); this module only fetches the titles and keeps them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store.models.guidelines import Guideline, GuidelineVersion, Section
from guidelines.search.closest import Row, TitleIndex, closest_titles, index_titles


@dataclass(frozen=True)
class _Titles:
    """The current section titles indexed, and the catalog key they were read for."""

    key: tuple[object, ...]
    index: TitleIndex


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


def _titles(session: Session) -> TitleIndex:
    bind = session.get_bind()
    where = bind.url.render_as_string(hide_password=True)
    key = _catalog_key(session)
    cached = _cache.get(where)
    if cached is not None and cached.key == key:
        return cached.index
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
    titles = _Titles(key, index_titles(rows))
    with _lock:
        _cache[where] = titles
    return titles.index


def closest_sections(session: Session, query: str, limit: int = 5) -> list[Row]:
    """Current sections whose titles look most like `query`: (slug, version, anchor, title)."""
    if not query.split():
        return []
    return closest_titles(_titles(session), query, limit)
