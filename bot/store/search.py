"""Ranked full-text search over guideline sections: SQLite FTS5 or PostgreSQL tsvector, one contract."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from bot.store.models.guidelines import GuidelineVersion, SearchWord
from guidelines.model import HL_END, HL_START, SearchHit
from guidelines.search.query import ParsedQuery, parse_query, stem, to_fts5, to_websearch
from guidelines.search.ranking import CorpusStats, bm25f

MAX_LIMIT = 50
# Each backend retrieves this many candidates with its own index and score; the shared BM25F
# then orders them, so SQLite and PostgreSQL answer alike.
CANDIDATES = 30
SNIPPET_WORDS = 24
# A term found in this many sections or more is too common to rank by: its weight in bm25 is
# about zero, yet scoring it means reading every matching row. Such terms are dropped when the
# query has rarer ones, and otherwise only section titles are searched for them.
COMMON_DF = 1000
# Scoring is linear in matches, so at most this many of the newest matching sections are ranked
# (newest first: current versions are published last). Only queries made of very common words
# reach it; the total they report is then a lower bound.
RANK_BUDGET = 1000

Row = dict[str, Any]


@dataclass(frozen=True)
class SearchResult:
    """The hits of one query and how many sections matched in all."""

    hits: list[SearchHit]
    total: int
    query: ParsedQuery
    title_only: bool = False


def _filters(guideline: str | None, version: str | None) -> tuple[str, dict[str, object]]:
    clauses = ["v.version = :version" if version else "v.is_current"]
    params: dict[str, object] = {}
    if version:
        params["version"] = version
    if guideline:
        clauses.append("g.slug = :slug")
        params["slug"] = guideline
    return " AND ".join(clauses), params


_DETAILS = """
    SELECT s.id, s.anchor, s.title, s.path, s.stems, s.position,
           g.slug, g.title AS guideline_title, v.version,
           (SELECT cv.version FROM guideline_versions cv
             WHERE cv.guideline_id = g.id AND cv.is_current) AS current_version
    FROM sections s
    JOIN guideline_versions v ON v.id = s.version_id
    JOIN guidelines g ON g.id = v.guideline_id
    WHERE s.id IN ({ids})
"""


class _SQLite:
    """FTS5 with bm25 (title 10, path 3, body 1)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def ranked(self, q: ParsedQuery, title_only: bool, where: str, params: dict, limit: int) -> list[Row]:
        # Only ids and ranks go through the sort: FTS5's auxiliary functions cannot sit beside a
        # window function, and details are fetched for the few rows shown.
        table, weights = ("sections_title_fts", "") if title_only else ("sections_fts", ", 10.0, 3.0, 1.0")
        sql = f"""
            WITH m AS (
                SELECT rowid AS id, bm25({table}{weights}) AS rank
                FROM {table} WHERE {table} MATCH :match
                ORDER BY rowid DESC LIMIT :budget
            )
            SELECT m.id, -m.rank AS score, s.position, count(*) OVER () AS total
            FROM m JOIN sections s ON s.id = m.id
            JOIN guideline_versions v ON v.id = s.version_id
            JOIN guidelines g ON g.id = v.guideline_id
            WHERE {where}
            ORDER BY m.rank, s.position
            LIMIT :limit
        """
        args = {**params, "match": to_fts5(q), "limit": limit, "budget": RANK_BUDGET}
        return [r._asdict() for r in self.session.execute(text(sql), args)]

    def snippets(self, q: ParsedQuery, ids: str) -> dict[int, str]:
        sql = (
            f"SELECT rowid, snippet(sections_fts, 2, :hs, :he, '…', {SNIPPET_WORDS}) FROM sections_fts "
            f"WHERE sections_fts MATCH :match AND rowid IN ({ids})"
        )
        found = self.session.execute(text(sql), {"match": to_fts5(q), "hs": HL_START, "he": HL_END})
        return {rowid: snippet for rowid, snippet in found}


class _Postgres:
    """A weighted tsvector (title A, path B, body D) ranked with ts_rank, length-normalised."""

    def __init__(self, session: Session) -> None:
        self.session = session

    @staticmethod
    def _tsquery(q: ParsedQuery) -> tuple[str, dict[str, str]]:
        positive, negative = to_websearch(q)
        expr = "websearch_to_tsquery('english', :pos)"
        if negative:
            expr = f"({expr} && !! websearch_to_tsquery('english', :neg))"
        return expr, {"pos": positive, "neg": negative}

    def ranked(self, q: ParsedQuery, title_only: bool, where: str, params: dict, limit: int) -> list[Row]:
        expr, args = self._tsquery(q)
        vector = "s.title_vector" if title_only else "s.search_vector"
        # `s.id + 0` keeps the planner from walking the primary key backwards to satisfy the
        # ORDER BY (slow for rare words); the GIN index finds the matches, a top-N sort cuts them.
        sql = f"""
            WITH q AS (SELECT {expr} AS query),
            cand AS MATERIALIZED (
                SELECT s.id FROM sections s CROSS JOIN q
                WHERE {vector} @@ q.query
                ORDER BY s.id + 0 DESC LIMIT :budget
            )
            SELECT s.id, ts_rank({vector}, q.query, 1) AS score, s.position, count(*) OVER () AS total
            FROM cand JOIN sections s ON s.id = cand.id CROSS JOIN q
            JOIN guideline_versions v ON v.id = s.version_id
            JOIN guidelines g ON g.id = v.guideline_id
            WHERE {where}
            ORDER BY score DESC, s.position
            LIMIT :limit
        """
        args = {**params, **args, "limit": limit, "budget": RANK_BUDGET}
        return [r._asdict() for r in self.session.execute(text(sql), args)]

    def snippets(self, q: ParsedQuery, ids: str) -> dict[int, str]:
        expr, args = self._tsquery(q)
        opts = (
            f'StartSel="{HL_START}", StopSel="{HL_END}", MaxWords={SNIPPET_WORDS}, MinWords=10, '
            'MaxFragments=2, FragmentDelimiter=" … "'
        )
        sql = f"SELECT id, ts_headline('english', plain, {expr}, :opts) FROM sections WHERE id IN ({ids})"
        found = self.session.execute(text(sql), {**args, "opts": opts})
        return {rowid: snippet for rowid, snippet in found}


def _frequencies(session: Session, q: ParsedQuery) -> dict[str, int]:
    """Sections per stem for every word of the query (search_words: same numbers on both backends)."""
    words = {stem(w) for w in (*q.terms, *(w for p in q.phrases for w in p))}
    stmt = select(SearchWord.word, SearchWord.sections).where(SearchWord.word.in_(words))
    return {w: n for w, n in session.execute(stmt)}


def _plan(q: ParsedQuery, df: dict[str, int]) -> tuple[ParsedQuery, bool]:
    """Drop too-common terms when rarer ones exist; with none, search titles only.

    A phrase is as rare as its rarest word.
    """
    terms = [t for t in q.terms if df.get(stem(t), 0) < COMMON_DF]
    phrases = [p for p in q.phrases if min(df.get(stem(w), 0) for w in p) < COMMON_DF]
    if len(terms) == len(q.terms) and len(phrases) == len(q.phrases):
        return q, False
    if terms or phrases:
        return replace(q, terms=tuple(terms), phrases=tuple(phrases)), False
    return q, True


def _corpus(session: Session) -> CorpusStats:
    v = GuidelineVersion
    row = session.execute(
        select(
            func.sum(v.section_count), func.sum(v.title_terms), func.sum(v.path_terms), func.sum(v.body_terms)
        )
    ).one()
    n = int(row[0] or 0)
    return CorpusStats(n, tuple(float(x or 0) / n if n else 0.0 for x in row[1:]))  # type: ignore[arg-type]


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
    engine = _SQLite(session) if session.get_bind().dialect.name == "sqlite" else _Postgres(session)
    df = _frequencies(session, parsed)
    plan, title_only = _plan(parsed, df)
    where, params = _filters(guideline, version)
    candidates = engine.ranked(plan, title_only, where, params, CANDIDATES)
    if not candidates:
        return SearchResult([], 0, plan, title_only)
    ids = ",".join(str(int(r["id"])) for r in candidates)  # integers from the database, safe to inline
    details = list(session.execute(text(_DETAILS.format(ids=ids))))
    corpus = _corpus(session)
    query_stems = [stem(w) for w in (*plan.terms, *(w for p in plan.phrases for w in p))]
    scored = sorted(
        ((bm25f([f.split() for f in d.stems.split("\t")], query_stems, df, corpus), d) for d in details),
        # Ties break on stable document order, never on row ids, which differ between databases.
        key=lambda sd: (-round(sd[0], 9), sd[1].slug, sd[1].version, sd[1].position),
    )[:limit]
    snippets = engine.snippets(plan, ",".join(str(int(d.id)) for _, d in scored))
    hits = []
    for score, d in scored:
        hits.append(
            SearchHit(
                guideline=d.slug,
                guideline_title=d.guideline_title,
                version=d.version,
                current_version=d.current_version,
                anchor=d.anchor,
                title=d.title,
                # JSON arrives parsed from psycopg but as text from sqlite3 through text().
                path=tuple(json.loads(d.path) if isinstance(d.path, str) else d.path),
                snippet=" ".join((snippets.get(d.id) or "").split()),
                score=round(score, 6),
            )
        )
    return SearchResult(hits, int(candidates[0]["total"]), plan, title_only)
