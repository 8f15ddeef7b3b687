"""Ranked full-text search over guideline sections: SQLite FTS5 or PostgreSQL tsvector, one contract."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import TextClause, bindparam, func, select, text
from sqlalchemy.orm import Session

from bot.store.candidates import Candidate, choose
from bot.store.models.guidelines import Guideline, GuidelineVersion, SearchWord, Section, SectionFeature
from guidelines.model import HL_END, HL_START, SearchHit
from guidelines.search.ranking import (
    CUE_PREFIX,
    STOPWORDS,
    CorpusStats,
    ParsedQuery,
    QueryShape,
    bm25f_text,
    context_key,
    keep_one_other,
    named_score,
    parse_query,
    query_features,
    stem,
    to_fts5,
    to_websearch,
)

MAX_LIMIT = 50
# The shared BM25F reranks this many candidates. Up to FULL_SCAN sections every matching section is
# a candidate; above it the integer postings choose them, alike on both backends
# (bot/store/candidates.py). The full-text engines only cut snippets.
CANDIDATES = 100
SNIPPET_WORDS = 24
# A term found in this many sections or more is too common to rank by: its weight in bm25 is
# about zero, yet scoring it means reading every matching row. Such terms are dropped when the
# query has rarer ones, and otherwise only section titles (and aliases) are searched for them.
COMMON_DF = 1000

Row = dict[str, Any]


@dataclass(frozen=True)
class SearchResult:
    """The hits of one query and how many sections matched in all."""

    hits: list[SearchHit]
    total: int
    query: ParsedQuery
    title_only: bool = False
    shape: QueryShape | None = None  # whether the query looked like a pasted item, and its cues
    # The hits' section ids, in order, when search_sections was asked for them without snippets
    # (`snippets=False`); `highlight` then gives the few a caller shows their snippets. Else empty.
    section_ids: tuple[int, ...] = ()


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


# What the shared rerank reads of every candidate: the stored stems and the stable order keys.
_STEMS = _ids("""
    SELECT s.id, s.anchor, s.stems, s.position, g.slug, v.version
    FROM sections s
    JOIN guideline_versions v ON v.id = s.version_id
    JOIN guidelines g ON g.id = v.guideline_id
    WHERE s.id IN :ids
""")


def _versions(sql: str) -> TextClause:
    """A ranking statement: its `:versions` is a list of version ids, expanded into bound parameters."""
    return text(sql).bindparams(bindparam("versions", expanding=True))


# SQLite: FTS5 over title, path, body and aliases cuts the snippets.
SQLITE_SNIPPETS = _ids(
    f"SELECT rowid, snippet(sections_fts, 2, :hs, :he, '…', {SNIPPET_WORDS}) FROM sections_fts "
    "WHERE sections_fts MATCH :match AND rowid IN :ids"
)

# PostgreSQL: the query as a tsquery, with or without excluded words, for ts_headline.
TSQUERY = "websearch_to_tsquery('english', :pos)"
TSQUERY_NOT = "(websearch_to_tsquery('english', :pos) && !! websearch_to_tsquery('english', :neg))"
_POSTGRES_SNIPPETS = "SELECT id, ts_headline('english', plain, {expr}, :opts) FROM sections WHERE id IN :ids"
POSTGRES_SNIPPETS = {  # by has excluded words
    False: _ids(_POSTGRES_SNIPPETS.format(expr=TSQUERY)),
    True: _ids(_POSTGRES_SNIPPETS.format(expr=TSQUERY_NOT)),
}


class _SQLite:
    """FTS5: the snippets of the hits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def snippets(self, q: ParsedQuery, ids: list[int]) -> dict[int, str]:
        args = {"match": to_fts5(q), "hs": HL_START, "he": HL_END, "ids": ids}
        return {rowid: snippet for rowid, snippet in self.session.execute(SQLITE_SNIPPETS, args)}


class _Postgres:
    """ts_headline over the plain text: the snippets of the hits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    @staticmethod
    def _tsquery(q: ParsedQuery) -> tuple[bool, dict[str, str]]:
        positive, negative = to_websearch(q)
        return bool(negative), {"pos": positive, "neg": negative}

    def snippets(self, q: ParsedQuery, ids: list[int]) -> dict[int, str]:
        negated, args = self._tsquery(q)
        opts = (
            f'StartSel="{HL_START}", StopSel="{HL_END}", MaxWords={SNIPPET_WORDS}, MinWords=10, '
            'MaxFragments=2, FragmentDelimiter=" … "'
        )
        found = self.session.execute(POSTGRES_SNIPPETS[negated], {**args, "opts": opts, "ids": ids})
        return {rowid: snippet for rowid, snippet in found}


# A query's features (negations, comparisons, cues) add at most this many sections to the candidates,
# the newest first: the same rows on both backends (one table, one order).
FEATURE_CANDIDATES = 100
# How much a feature counts beside a word of the same rarity (chosen on the tuning half of the
# evaluation set by bench/lookup_tune.py): kept-word features, and the surface cues of pasted items.
FEATURE_BOOST = 1.0
CUE_BOOST = 1.0


def _feature_candidates(session: Session, features: list[str], versions: list[int]) -> list[int]:
    """Ids of sections of these versions with any of these features, newest first."""
    if not features or not versions:
        return []
    stmt = (
        select(SectionFeature.section_id)
        .join(Section, Section.id == SectionFeature.section_id)
        .where(SectionFeature.feature.in_(features), Section.version_id.in_(versions))
        .distinct()
        .order_by(SectionFeature.section_id.desc())
        .limit(FEATURE_CANDIDATES)
    )
    return list(session.scalars(stmt))


def _frequencies(session: Session, q: ParsedQuery, features: Sequence[str] = ()) -> dict[str, int]:
    """Sections per stem for every word of the query (search_words: same numbers on both backends)."""
    words = {stem(w) for w in (*q.terms, *(w for p in q.phrases for w in p))} | set(features)
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


@dataclass(frozen=True)
class Pool:
    """The candidates of one query and what the shared BM25F needs to order them."""

    plan: ParsedQuery
    title_only: bool
    shape: QueryShape
    total: int
    features: list[str]
    query_stems: list[str]
    df: dict[str, int]
    corpus: CorpusStats
    rows: list[Any]  # id, anchor, stems, position, slug, version of each candidate
    fields: list[list[str]]  # each candidate's stems by field (title, path, body), as stored


# Up to this many sections in the versions searched, candidates are chosen from the stored stems of
# all of them; above it, from the integer postings (bot/store/candidates.py): one rule for both backends.
FULL_SCAN = 1000

_VERSION_STEMS = _versions("""
    SELECT s.id, s.anchor, s.stems, s.position, g.slug, v.version
    FROM sections s
    JOIN guideline_versions v ON v.id = s.version_id
    JOIN guidelines g ON g.id = v.guideline_id
    WHERE s.version_id IN :versions
""")


def _sections_in(session: Session, versions: list[int]) -> int:
    v = GuidelineVersion
    return int(session.scalar(select(func.sum(v.section_count)).where(v.id.in_(versions))) or 0)


def _has_phrase(words: list[str], phrase: list[str]) -> bool:
    # From each place of the phrase's first word only (list.index runs in C): a section's body has
    # hundreds of stems, and the phrase check of 100 candidates was 3-4 ms of a phrase query.
    n, i = len(phrase), -1
    while True:
        try:
            i = words.index(phrase[0], i + 1)
        except ValueError:
            return False
        if words[i : i + n] == phrase:
            return True


def _rule(plan: ParsedQuery, query_stems: list[str]) -> tuple[set[str], list[list[str]], set[str]]:
    """The matching rule's term and feature stems, phrases (as stems) and excluded stems."""
    terms = {stem(t) for t in plan.terms} | {q for q in query_stems if q not in STOPWORDS} - {
        stem(w) for p in plan.phrases for w in p
    }
    terms |= {q for q in query_stems if not q[:1].isalnum()}  # features
    phrases = [[stem(w) for w in p if w not in STOPWORDS] for p in plan.phrases]
    return terms, phrases, {stem(w) for w in plan.excluded}


def _matches(stems: str, terms: set[str], phrases: list[list[str]], excluded: set[str]) -> bool:
    """Whether a section's stored stems hold a term or feature stem, or a phrase's stems in a row, and
    no excluded word: the engines' rule, on stems every backend reads alike."""
    split = [f.split() for f in stems.split("\t")]
    words = set().union(*split)
    if excluded & words:
        return False
    return bool(terms & words) or any(p and any(_has_phrase(f, p) for f in split) for p in phrases)


def _matching(
    session: Session, versions: list[int], plan: ParsedQuery, query_stems: list[str]
) -> tuple[list[Any], list[list[str]]]:
    """The sections of these versions that match the query by their stored stems, and their fields."""
    terms, phrases, excluded = _rule(plan, query_stems)
    rows = [
        r
        for r in session.execute(_VERSION_STEMS, {"versions": versions})
        if _matches(r.stems, terms, phrases, excluded)
    ]
    return rows, [r.stems.split("\t") for r in rows]


def candidate_pool(
    session: Session,
    query: str,
    *,
    guideline: str | None = None,
    version: str | None = None,
    context: str | None = None,
) -> Pool | SearchResult:
    """The query's candidates (the matches chosen alike on both backends, and the feature matches), or an empty result."""
    parsed = parse_query(query)
    features, shape = query_features(query[:2000])
    if parsed.is_empty and not features:
        return SearchResult([], 0, parsed, shape=shape)
    df = _frequencies(session, parsed, features)
    features = [f for f in features if f in df]  # a feature no section has cannot rank anything
    plan, title_only = _plan(parsed, df) if not parsed.is_empty else (parsed, False)
    versions = _version_ids(session, guideline, version)
    query_stems = [stem(w) for w in (*plan.terms, *(w for p in plan.phrases for w in p))] + features
    if versions and _sections_in(session, versions) <= FULL_SCAN:
        # Few sections: every one is matched on its stored stems by one rule, the same on both
        # backends (their full-text engines tokenise and stem numbers, hosts and some words apart).
        rows, fields = _matching(session, versions, plan, query_stems)
        if not rows:
            return SearchResult([], 0, plan, title_only, shape)
        return Pool(
            plan, title_only, shape, len(rows), features, query_stems, df, _corpus(session), rows, fields
        )
    corpus = _corpus(session)
    # Above FULL_SCAN: the integer postings choose, the same sections on both backends
    # (bot/store/candidates.py); rare features join the words, common ones come from the newest below.
    chosen = [f for f in features if df.get(f, 0) < COMMON_DF]

    def pick(among: list[int]) -> tuple[list[Candidate], int]:
        if not among or plan.is_empty:
            return [], 0
        return choose(session, plan, chosen, df, corpus.sections, among, title_only, CANDIDATES)

    candidates, total = pick(versions)
    if context and candidates and guideline in (None, context):
        # The context guideline's own best candidates too, even where other guidelines fill the pool.
        seen = {c.id for c in candidates}
        candidates += [c for c in pick(_version_ids(session, context, version))[0] if c.id not in seen]
    by_feature = _feature_candidates(session, features, versions)
    ids = list(dict.fromkeys([*(c.id for c in candidates), *by_feature]))
    if not ids:
        return SearchResult([], 0, plan, title_only, shape)
    # A phrase chose sections holding all its words; only those holding them in a row stay.
    rule = _rule(plan, query_stems)
    rows = [r for r in session.execute(_STEMS, {"ids": ids}) if not plan.phrases or _matches(r.stems, *rule)]
    if not rows:
        return SearchResult([], 0, plan, title_only, shape)
    total = max(total, len(rows))
    fields = [r.stems.split("\t") for r in rows]
    return Pool(plan, title_only, shape, total, features, query_stems, df, corpus, rows, fields)


def rank_pool(
    pool: Pool, limit: int, context: str | None = None, context_boost: float | None = None
) -> list[tuple[float, Any]]:
    """The best `limit` candidates by the shared BM25F, with their scores (context first, see search_sections)."""
    boosts = {f: CUE_BOOST if f.startswith(CUE_PREFIX) else FEATURE_BOOST for f in pool.features}
    asked = frozenset(pool.query_stems)
    ranked = sorted(
        (
            (named_score(bm25f_text(f, pool.query_stems, pool.df, pool.corpus, boosts), f[0], asked), r)
            for f, r in zip(pool.fields, pool.rows, strict=True)
        ),
        # Ties break on stable document order, never on row ids, which differ between databases.
        key=lambda sr: (
            *context_key(round(sr[0], 9), sr[1].slug == context, context_boost),
            sr[1].slug,
            sr[1].version,
            sr[1].position,
        ),
    )
    return keep_one_other(ranked, lambda sr: sr[1].slug == context, limit) if context else ranked[:limit]


def _engine(session: Session) -> _SQLite | _Postgres:
    return _SQLite(session) if session.get_bind().dialect.name == "sqlite" else _Postgres(session)


def search_sections(
    session: Session,
    query: str,
    *,
    guideline: str | None = None,
    version: str | None = None,
    limit: int = 10,
    context: str | None = None,
    context_boost: float | None = None,
    snippets: bool = True,
) -> SearchResult:
    """Sections of current (or the pinned) versions, best first; any query text is safe.

    `context` (a guideline slug) ranks that guideline's matching sections first (`context_boost`
    None), or multiplies their scores by `context_boost`; with either, when its sections would fill
    the answer, the best of another guideline's keeps the last place. `snippets=False` leaves every
    snippet empty and fills `section_ids`, for a caller that shows a few of many hits and gives those
    their snippets with `highlight` (highlighting costs most of a lookup of 100 candidates on FTS5).
    """
    limit = max(1, min(limit, MAX_LIMIT))
    pool = candidate_pool(session, query, guideline=guideline, version=version, context=context)
    if isinstance(pool, SearchResult):
        return pool
    plan, shape, features = pool.plan, pool.shape, pool.features
    ranked = rank_pool(pool, limit, context, context_boost)
    found = {d.id: d for d in session.execute(_DETAILS, {"ids": [r.id for _, r in ranked]})}
    scored = [(score, found[r.id]) for score, r in ranked]
    found_snippets = _snippets(session, plan, [d.id for _, d in scored]) if snippets else {}
    # Only a pasted item is told which cues it matched on; a question was matched on its words.
    cues = [
        f
        for f in features
        if shape.looks_like_item and f.startswith(CUE_PREFIX) and not f.startswith(CUE_PREFIX + "e:")
    ]
    hits = []
    for score, d in scored:
        present = set(d.stems.split()) if cues else set()
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
                snippet=found_snippets.get(d.id, ""),
                score=round(score, 6),
                cues=tuple(c[len(CUE_PREFIX) :] for c in cues if c in present),
            )
        )
    ids = () if snippets else tuple(d.id for _, d in scored)
    return SearchResult(hits, pool.total, plan, pool.title_only, shape, ids)


def _snippets(session: Session, plan: ParsedQuery, ids: list[int]) -> dict[int, str]:
    """Each section's snippet for the query (whitespace folded; "" where the engine gives none)."""
    found = _engine(session).snippets(plan, ids) if ids and not plan.is_empty else {}
    return {i: " ".join((found.get(i) or "").split()) for i in ids}


def highlight(
    session: Session, plan: ParsedQuery, hits: Sequence[SearchHit], ids: Sequence[int]
) -> list[SearchHit]:
    """The hits with the snippets search_sections gives them; `ids` are their section ids, in order, and
    `plan` the query of their result (SearchResult.query)."""
    found = _snippets(session, plan, list(ids))
    return [replace(h, snippet=found[i]) for h, i in zip(hits, ids, strict=True)]
