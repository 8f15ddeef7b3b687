"""Ranked full-text search over guideline sections: SQLite FTS5 or PostgreSQL tsvector, one contract."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from bot.store.search_query import ParsedQuery, parse_query, to_fts5, to_websearch
from guidelines.model import HL_END, HL_START, SearchHit

MAX_LIMIT = 50
SNIPPET_WORDS = 24


@dataclass(frozen=True)
class SearchResult:
    """The hits of one query and how many sections matched in all."""

    hits: list[SearchHit]
    total: int
    query: ParsedQuery


def _filters(guideline: str | None, version: str | None) -> tuple[str, dict[str, object]]:
    clauses = ["v.version = :version" if version else "v.is_current"]
    params: dict[str, object] = {}
    if version:
        params["version"] = version
    if guideline:
        clauses.append("g.slug = :slug")
        params["slug"] = guideline
    return " AND ".join(clauses), params


_SELECT = """
    s.id, s.anchor, s.title, s.path, g.slug, g.title AS guideline_title, v.version,
    (SELECT cv.version FROM guideline_versions cv
      WHERE cv.guideline_id = g.id AND cv.is_current) AS current_version
"""


def _sqlite_search(session: Session, q: ParsedQuery, where: str, params: dict, limit: int) -> list[dict]:
    # FTS5's auxiliary functions cannot run beside a window function, so rank in a CTE, then
    # build snippets in a second pass for the few rows shown only.
    match = to_fts5(q)
    sql = f"""
        WITH m AS (
            SELECT rowid AS id, bm25(sections_fts, 10.0, 3.0, 1.0) AS rank
            FROM sections_fts WHERE sections_fts MATCH :match
        )
        SELECT {_SELECT}, -m.rank AS score, count(*) OVER () AS total
        FROM m
        JOIN sections s ON s.id = m.id
        JOIN guideline_versions v ON v.id = s.version_id
        JOIN guidelines g ON g.id = v.guideline_id
        WHERE {where}
        ORDER BY m.rank, s.position
        LIMIT :limit
    """
    rows = list(session.execute(text(sql), {**params, "match": match, "limit": limit}))
    if not rows:
        return rows
    ids = ",".join(str(int(r.id)) for r in rows)
    # Not dict(result): Result has keys(), so dict() would treat it as a mapping.
    found = session.execute(
        text(
            f"SELECT rowid, snippet(sections_fts, 2, :hs, :he, '…', {SNIPPET_WORDS}) FROM sections_fts "
            f"WHERE sections_fts MATCH :match AND rowid IN ({ids})"
        ),
        {"match": match, "hs": HL_START, "he": HL_END},
    )
    snippets = {rowid: snippet for rowid, snippet in found}
    return [r._asdict() | {"snippet": snippets.get(r.id, "")} for r in rows]


def _postgres_search(session: Session, q: ParsedQuery, where: str, params: dict, limit: int) -> list[dict]:
    positive, negative = to_websearch(q)
    tsq = "websearch_to_tsquery('english', :pos)"
    if negative:
        tsq = f"({tsq} && !! websearch_to_tsquery('english', :neg))"
    # Rank and cut first, then build headlines for the few rows shown: ts_headline re-parses text.
    sql = f"""
        WITH q AS (SELECT {tsq} AS query),
        ranked AS (
            SELECT {_SELECT}, s.plain, s.position,
                   ts_rank(s.search_vector, q.query, 1) AS score,
                   count(*) OVER () AS total
            FROM sections s CROSS JOIN q
            JOIN guideline_versions v ON v.id = s.version_id
            JOIN guidelines g ON g.id = v.guideline_id
            WHERE s.search_vector @@ q.query AND {where}
            ORDER BY score DESC, s.position
            LIMIT :limit
        )
        SELECT ranked.id, anchor, title, path, slug, guideline_title, version, current_version, score,
               ts_headline('english', plain, q.query, :opts) AS snippet, total
        FROM ranked CROSS JOIN q
        ORDER BY score DESC, position
    """
    opts = (
        f'StartSel="{HL_START}", StopSel="{HL_END}", MaxWords={SNIPPET_WORDS}, MinWords=10, '
        'MaxFragments=2, FragmentDelimiter=" … "'
    )
    args = {**params, "pos": positive, "neg": negative, "opts": opts, "limit": limit}
    return [r._asdict() for r in session.execute(text(sql), args)]


def search_sections(
    session: Session,
    query: str,
    *,
    guideline: str | None = None,
    version: str | None = None,
    limit: int = 10,
) -> SearchResult:
    """Sections of current (or the pinned) versions, best first; any query text is safe."""
    parsed = parse_query(query)
    limit = max(1, min(limit, MAX_LIMIT))
    if parsed.is_empty:
        return SearchResult([], 0, parsed)
    where, params = _filters(guideline, version)
    run = _sqlite_search if session.get_bind().dialect.name == "sqlite" else _postgres_search
    rows = run(session, parsed, where, params, limit)
    hits = [
        SearchHit(
            guideline=r["slug"],
            guideline_title=r["guideline_title"],
            version=r["version"],
            current_version=r["current_version"],
            anchor=r["anchor"],
            title=r["title"],
            # JSON arrives parsed from psycopg but as text from sqlite3 through text().
            path=tuple(json.loads(r["path"]) if isinstance(r["path"], str) else r["path"]),
            snippet=" ".join((r["snippet"] or "").split()),
            score=round(float(r["score"]), 6),
        )
        for r in rows
    ]
    return SearchResult(hits, int(rows[0]["total"]) if rows else 0, parsed)
