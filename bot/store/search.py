"""Ranked full-text search over guideline sections: SQLite FTS5 or PostgreSQL tsvector, one contract."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import TextClause, bindparam, func, select, text
from sqlalchemy.orm import Session

from bot.store.models.guidelines import Guideline, GuidelineVersion, SearchWord
from guidelines.model import HL_END, HL_START, SearchHit
from guidelines.search.ranking import (
    CorpusStats,
    ParsedQuery,
    bm25f,
    context_key,
    keep_one_other,
    parse_query,
    stem,
    to_fts5,
    to_websearch,
)

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


def _version_ids(session: Session, guideline: str | None, version: str | None) -> list[int]:
    """The versions searched: the pinned one if named (of every guideline unless one is named), else the current ones."""
    v = GuidelineVersion
    stmt = select(v.id).where(v.version == version) if version else select(v.id).where(v.is_current)
    if guideline:
        stmt = stmt.join(Guideline, Guideline.id == v.guideline_id).where(Guideline.slug == guideline)
    return list(session.scalars(stmt))


def _ids(sql: str) -> TextClause:
    """A statement whose `:ids` is a list of section ids, expanded into bound parameters."""
    return text(sql).bindparams(bindparam("ids", expanding=True))


_DETAILS = _ids("""
    SELECT s.id, s.anchor, s.title, s.path, s.aliases, s.stems, s.position,
           g.slug, g.title AS guideline_title, v.version,
           (SELECT cv.version FROM guideline_versions cv
             WHERE cv.guideline_id = g.id AND cv.is_current) AS current_version
    FROM sections s
    JOIN guideline_versions v ON v.id = s.version_id
    JOIN guidelines g ON g.id = v.guideline_id
    WHERE s.id IN :ids
""")


def _versions(sql: str) -> TextClause:
    """A ranking statement: its `:versions` is a list of version ids, expanded into bound parameters."""
    return text(sql).bindparams(bindparam("versions", expanding=True))


# SQLite: FTS5 over title, path, body and aliases (bm25 weights 10, 3, 1, 10), or over titles and
# aliases alone.
FTS_SECTIONS, FTS_WEIGHTS, FTS_TITLES = "sections_fts", ", 10.0, 3.0, 1.0, 10.0", "sections_title_fts"
# Only ids and ranks go through the sort: FTS5's auxiliary functions cannot sit beside a window
# function, and details are fetched for the few rows shown.
_SQLITE_RANKED = """
            WITH m AS (
                SELECT rowid AS id, bm25({table}{weights}) AS rank
                FROM {table} WHERE {table} MATCH :match
                ORDER BY rowid DESC LIMIT :budget
            )
            SELECT m.id, -m.rank AS score, s.position, count(*) OVER () AS total
            FROM m JOIN sections s ON s.id = m.id
            WHERE s.version_id IN :versions
            ORDER BY m.rank, s.position
            LIMIT :limit
        """
SQLITE_RANKED = {  # by title_only
    False: _versions(_SQLITE_RANKED.format(table=FTS_SECTIONS, weights=FTS_WEIGHTS)),
    True: _versions(_SQLITE_RANKED.format(table=FTS_TITLES, weights="")),
}
SQLITE_SNIPPETS = _ids(
    f"SELECT rowid, snippet(sections_fts, 2, :hs, :he, '…', {SNIPPET_WORDS}) FROM sections_fts "
    "WHERE sections_fts MATCH :match AND rowid IN :ids"
)

# PostgreSQL: the query as a tsquery, with or without excluded words; the weighted tsvector of
# whole sections or of titles alone.
TSQUERY = "websearch_to_tsquery('english', :pos)"
TSQUERY_NOT = "(websearch_to_tsquery('english', :pos) && !! websearch_to_tsquery('english', :neg))"
VECTOR_SECTIONS, VECTOR_TITLES = "s.search_vector", "s.title_vector"
# `s.id + 0` keeps the planner from walking the primary key backwards to satisfy the ORDER BY
# (slow for rare words); the GIN index finds the matches, a top-N sort cuts them.
_POSTGRES_RANKED = """
            WITH q AS (SELECT {expr} AS query),
            cand AS MATERIALIZED (
                SELECT s.id FROM sections s CROSS JOIN q
                WHERE {vector} @@ q.query
                ORDER BY s.id + 0 DESC LIMIT :budget
            )
            SELECT s.id, ts_rank({vector}, q.query, 1) AS score, s.position, count(*) OVER () AS total
            FROM cand JOIN sections s ON s.id = cand.id CROSS JOIN q
            WHERE s.version_id IN :versions
            ORDER BY score DESC, s.position
            LIMIT :limit
        """
POSTGRES_RANKED = {  # by (title_only, has excluded words)
    (False, False): _versions(_POSTGRES_RANKED.format(expr=TSQUERY, vector=VECTOR_SECTIONS)),
    (False, True): _versions(_POSTGRES_RANKED.format(expr=TSQUERY_NOT, vector=VECTOR_SECTIONS)),
    (True, False): _versions(_POSTGRES_RANKED.format(expr=TSQUERY, vector=VECTOR_TITLES)),
    (True, True): _versions(_POSTGRES_RANKED.format(expr=TSQUERY_NOT, vector=VECTOR_TITLES)),
}
_POSTGRES_SNIPPETS = "SELECT id, ts_headline('english', plain, {expr}, :opts) FROM sections WHERE id IN :ids"
POSTGRES_SNIPPETS = {  # by has excluded words
    False: _ids(_POSTGRES_SNIPPETS.format(expr=TSQUERY)),
    True: _ids(_POSTGRES_SNIPPETS.format(expr=TSQUERY_NOT)),
}


class _SQLite:
    """FTS5 with bm25 (title 10, path 3, body 1, aliases 10)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def ranked(self, q: ParsedQuery, title_only: bool, params: dict, limit: int) -> list[Row]:
        args = {**params, "match": to_fts5(q), "limit": limit, "budget": RANK_BUDGET}
        return [r._asdict() for r in self.session.execute(SQLITE_RANKED[title_only], args)]

    def snippets(self, q: ParsedQuery, ids: list[int]) -> dict[int, str]:
        args = {"match": to_fts5(q), "hs": HL_START, "he": HL_END, "ids": ids}
        return {rowid: snippet for rowid, snippet in self.session.execute(SQLITE_SNIPPETS, args)}


class _Postgres:
    """A weighted tsvector (title A, path B, body D, aliases A) ranked with ts_rank, length-normalised."""

    def __init__(self, session: Session) -> None:
        self.session = session

    @staticmethod
    def _tsquery(q: ParsedQuery) -> tuple[bool, dict[str, str]]:
        positive, negative = to_websearch(q)
        return bool(negative), {"pos": positive, "neg": negative}

    def ranked(self, q: ParsedQuery, title_only: bool, params: dict, limit: int) -> list[Row]:
        negated, args = self._tsquery(q)
        args = {**params, **args, "limit": limit, "budget": RANK_BUDGET}
        return [r._asdict() for r in self.session.execute(POSTGRES_RANKED[title_only, negated], args)]

    def snippets(self, q: ParsedQuery, ids: list[int]) -> dict[int, str]:
        negated, args = self._tsquery(q)
        opts = (
            f'StartSel="{HL_START}", StopSel="{HL_END}", MaxWords={SNIPPET_WORDS}, MinWords=10, '
            'MaxFragments=2, FragmentDelimiter=" … "'
        )
        found = self.session.execute(POSTGRES_SNIPPETS[negated], {**args, "opts": opts, "ids": ids})
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
    context: str | None = None,
    context_boost: float | None = None,
) -> SearchResult:
    """Sections of current (or the pinned) versions, best first; any query text is safe.

    `context` (a guideline slug) ranks that guideline's matching sections first (`context_boost`
    None), or multiplies their scores by `context_boost`; with either, when its sections would fill
    the answer, the best of another guideline's keeps the last place.
    """
    parsed = parse_query(query)
    limit = max(1, min(limit, MAX_LIMIT))
    if parsed.is_empty:
        return SearchResult([], 0, parsed)
    engine = _SQLite(session) if session.get_bind().dialect.name == "sqlite" else _Postgres(session)
    df = _frequencies(session, parsed)
    plan, title_only = _plan(parsed, df)
    versions = _version_ids(session, guideline, version)
    candidates = engine.ranked(plan, title_only, {"versions": versions}, CANDIDATES) if versions else []
    if context and candidates and guideline in (None, context):
        # The context guideline's own best candidates too, even where other guidelines fill the 30.
        mine = _version_ids(session, context, version)
        seen = {r["id"] for r in candidates}
        extra = engine.ranked(plan, title_only, {"versions": mine}, CANDIDATES) if mine else []
        candidates += [r for r in extra if r["id"] not in seen]
    if not candidates:
        return SearchResult([], 0, plan, title_only)
    details = list(session.execute(_DETAILS, {"ids": [r["id"] for r in candidates]}))
    corpus = _corpus(session)
    query_stems = [stem(w) for w in (*plan.terms, *(w for p in plan.phrases for w in p))]
    ranked = sorted(
        ((bm25f([f.split() for f in d.stems.split("\t")], query_stems, df, corpus), d) for d in details),
        # Ties break on stable document order, never on row ids, which differ between databases.
        key=lambda sd: (
            *context_key(round(sd[0], 9), sd[1].slug == context, context_boost),
            sd[1].slug,
            sd[1].version,
            sd[1].position,
        ),
    )
    scored = keep_one_other(ranked, lambda sd: sd[1].slug == context, limit) if context else ranked[:limit]
    snippets = engine.snippets(plan, [d.id for _, d in scored])
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
                aliases=tuple(json.loads(d.aliases) if isinstance(d.aliases, str) else d.aliases),
                snippet=" ".join((snippets.get(d.id) or "").split()),
                score=round(score, 6),
            )
        )
    return SearchResult(hits, int(candidates[0]["total"]), plan, title_only)
