"""What `/guide` asks: the lexical ranking (bot/store/search.py) fused with the semantic one.

The query is embedded (an LRU of recent query vectors per process), compared with the chunk vectors
of the versions searched (one matrix per set of versions, cached: published versions never change),
a section scores its best chunk, and the two rankings are fused by their scores
(guidelines.search.fusion.fuse_scores).
Without the semantic extra, or without stored vectors, the answer is the lexical one unchanged.
"""

from __future__ import annotations

import json
import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session

from bot.semantic import background
from bot.semantic import encoder as semantic
from bot.store.models.guidelines import Guideline, GuidelineVersion, Section
from bot.store.models.vectors import SectionChunk
from bot.store.search import (
    CANDIDATES,
    MAX_LIMIT,
    SNIPPET_WORDS,
    SearchResult,
    highlight,
    search_sections,
)
from bot.store.vectors import as_matrix
from bot.store.vectors import fingerprint as stored_fingerprint
from guidelines.model import SearchHit
from guidelines.search.fusion import (
    ALONE_COSINE,
    MIN_COSINE,
    SEMANTIC_DEPTH,
    fuse_scores,
    section_scores,
    top_sections,
)
from guidelines.search.ranking import context_key, keep_one_other

if TYPE_CHECKING:
    import numpy as np

Key = tuple[str, str, str]  # slug, version, anchor: what identifies a hit on both backends


@dataclass(frozen=True)
class ChunkMatrix:
    """The chunk vectors of a set of versions: rows grouped by section, in (slug, version, position) order."""

    vectors: np.ndarray  # (chunks, 384) float32, unit rows
    starts: np.ndarray  # index of each section's first row
    keys: tuple[Key, ...]  # per section
    section_ids: tuple[int, ...]  # per section
    empty_versions: frozenset[int]  # versions searched that had no vectors when the matrix was read


# A few matrices per process (about 40 MB each for 20,000 sections): the current versions, and a
# pinned version or two. The key holds each version's id, content hash and publish time, so that a
# database rebuilt with reused ids is never mistaken for the cached one; versions that had no vectors
# are checked again at each use (`annobot guidelines reindex` may have added them since).
_MATRICES_MAX = 4
_matrices: OrderedDict[tuple[object, ...], ChunkMatrix] = OrderedDict()
_lock = threading.Lock()


def _versions(session: Session, guideline: str | None, version: str | None) -> list[tuple[object, ...]]:
    """(id, content hash, published at) of the versions searched: the rule of search._version_ids."""
    v = GuidelineVersion
    stmt = select(v.id, v.content_hash, v.published_at).order_by(v.id)
    stmt = stmt.where(v.version == version) if version else stmt.where(v.is_current)
    if guideline:
        stmt = stmt.join(Guideline, Guideline.id == v.guideline_id).where(Guideline.slug == guideline)
    return [tuple(r) for r in session.execute(stmt)]


def _any_vectors(session: Session, version_ids: frozenset[int], fingerprint: str) -> bool:
    stmt = (
        select(SectionChunk.id)
        .where(SectionChunk.version_id.in_(sorted(version_ids)), SectionChunk.fingerprint == fingerprint)
        .limit(1)
    )
    return session.scalar(stmt) is not None


def _read_matrix(session: Session, version_ids: list[int], fingerprint: str) -> ChunkMatrix:
    import numpy as np

    rows = session.execute(
        select(Section.id, Guideline.slug, GuidelineVersion.version, Section.anchor, SectionChunk.vector)
        .join(Section, Section.id == SectionChunk.section_id)
        .join(GuidelineVersion, GuidelineVersion.id == SectionChunk.version_id)
        .join(Guideline, Guideline.id == GuidelineVersion.guideline_id)
        .where(SectionChunk.version_id.in_(version_ids), SectionChunk.fingerprint == fingerprint)
        # Stable document order, never row ids alone (they differ between databases).
        .order_by(Guideline.slug, GuidelineVersion.version, Section.position, SectionChunk.position)
    ).all()
    starts, keys, ids, blobs = [], [], [], []
    seen: set[int] = set()
    for i, (sid, slug, ver, anchor, blob) in enumerate(rows):
        if sid not in seen:
            seen.add(sid)
            starts.append(i)
            keys.append((slug, ver, anchor))
            ids.append(sid)
        blobs.append(bytes(blob))
    with_vectors = (
        set(
            session.scalars(
                select(SectionChunk.version_id)
                .where(SectionChunk.version_id.in_(version_ids), SectionChunk.fingerprint == fingerprint)
                .distinct()
            )
        )
        if rows
        else set()
    )
    return ChunkMatrix(
        as_matrix(blobs),
        np.array(starts, dtype=np.int64),
        tuple(keys),
        tuple(ids),
        frozenset(set(version_ids) - with_vectors),
    )


def chunk_matrix(
    session: Session, guideline: str | None, version: str | None, fingerprint: str
) -> ChunkMatrix | None:
    """The chunk vectors of the versions searched (cached per set of versions); None when there are none."""
    versions = _versions(session, guideline, version)
    if not versions:
        return None
    where = session.get_bind().url.render_as_string(hide_password=True)
    key = (where, fingerprint, tuple(versions))
    with _lock:
        cached = _matrices.get(key)
        if cached is not None:
            _matrices.move_to_end(key)
    if cached is not None and not (
        cached.empty_versions and _any_vectors(session, cached.empty_versions, fingerprint)
    ):
        return cached if cached.keys else None
    matrix = _read_matrix(session, [int(v[0]) for v in versions], fingerprint)  # type: ignore[call-overload]
    with _lock:
        _matrices[key] = matrix
        while len(_matrices) > _MATRICES_MAX:
            _matrices.popitem(last=False)
    return matrix if matrix.keys else None


@lru_cache(maxsize=1024)
def query_vector(fingerprint: str, query: str) -> np.ndarray:
    """The query's unit vector (read-only), remembered for the process's last 1,024 distinct queries."""
    enc = semantic.load_encoder()
    assert enc.fingerprint == fingerprint  # the fingerprint is in the key only to keep weights apart
    vector = enc.encode([query])[0]
    vector.flags.writeable = False
    return vector


# Rows of the chunk matrix per block of the cosine: small enough for two threads to share a query's
# blocks, large enough that taking one costs nothing beside its product (~1 ms for 8,192 rows).
BLOCK = 8192


class _Cosines:
    """One query's cosine against every chunk, in blocks taken by whichever thread is free.

    The background thread embeds the query, then takes blocks; the lookup's own thread, done with its
    lexical SQL, takes the blocks left (`help`) instead of waiting. Each block is the same product
    whoever computes it (one BLAS thread per call), so the cosines do not depend on the sharing.
    """

    def __init__(self, vectors: np.ndarray) -> None:
        import numpy as np

        self.vectors = vectors
        self.out = np.empty(len(vectors), dtype=np.float32)
        self.blocks = [(a, min(a + BLOCK, len(vectors))) for a in range(0, len(vectors), BLOCK)]
        self.taken = 0
        self.left = len(self.blocks)
        self.vector: np.ndarray | None = None
        self.lock = threading.Lock()
        self.error: BaseException | None = None  # a block's product that raised: given to every waiter
        self.done = threading.Event()
        self.ready = threading.Event()  # the vector is known, or will never be (the embedding failed)
        if not self.blocks:
            self.done.set()

    def compute(self, vector: Callable[[], np.ndarray]) -> np.ndarray:
        """The query's vector (`vector()`), then blocks until none is left and those others took; the cosines."""
        try:
            v = vector()
            with self.lock:
                self.vector = v
        finally:
            self.ready.set()  # a helper waiting for the vector goes on (without it, it leaves)
        self.help()
        self.done.wait()
        if self.error is not None:
            raise self.error
        return self.out

    def help(self) -> None:
        """Compute blocks not yet taken, if the query's vector is known (else leave them)."""
        import numpy as np

        while True:
            with self.lock:
                if self.vector is None or self.taken == len(self.blocks):
                    return
                vector = self.vector
                a, b = self.blocks[self.taken]
                self.taken += 1
            try:
                np.matmul(self.vectors[a:b], vector, out=self.out[a:b])  # releases the GIL
            except BaseException as exc:
                # The other thread would otherwise wait forever for this block (and hold its pool slot).
                with self.lock:
                    self.error = exc
                self.done.set()
                raise
            with self.lock:
                self.left -= 1
                if self.left == 0:
                    self.done.set()


@dataclass(frozen=True)
class _Meaning:
    """The chunk matrix of the versions searched and the query's nearest sections (to come)."""

    matrix: ChunkMatrix
    # The SEMANTIC_DEPTH best sections' indices in the matrix, best first, whatever their cosine, and
    # every section's score: computed on a background thread when the lookup asked for it soon.
    result: Callable[[], tuple[list[int], np.ndarray]]
    cosines: _Cosines

    # Whether `result` runs on a background thread: only then may the caller wait for its vector.
    elsewhere: bool

    def nearest(self) -> tuple[list[int], np.ndarray]:
        """The nearest sections and the scores; the caller's thread computes the cosine blocks left."""
        if self.elsewhere:
            self.cosines.ready.wait()
            self.cosines.help()
        return self.result()


def _meaning(
    session: Session, query: str, guideline: str | None, version: str | None, *, soon: bool
) -> _Meaning | None:
    """The matrix and the query's nearest sections (being computed if `soon`, else when asked); None
    without vectors or query text. The caller has checked that the extra is installed."""
    if not query.strip():
        return None
    enc = semantic.load_encoder()
    # Stored vectors carry the chunking as well as the model (bot/store/vectors.py).
    matrix = chunk_matrix(session, guideline, version, stored_fingerprint(enc.fingerprint))
    if matrix is None:
        return None
    fingerprint = enc.fingerprint
    cosines = _Cosines(matrix.vectors)

    def nearest() -> tuple[list[int], np.ndarray]:
        return nearest_sections(matrix, lambda: query_vector(fingerprint, query), cosines)

    result = background.soon(nearest) if soon else nearest
    return _Meaning(matrix, result, cosines, result is not nearest)


def nearest_sections(
    matrix: ChunkMatrix, vector: Callable[[], np.ndarray], cosines: _Cosines | None = None
) -> tuple[list[int], np.ndarray]:
    """The SEMANTIC_DEPTH sections nearest to the query's vector (`vector()`), best first, whatever
    their cosine, and every section's score; `cosines` is the product shared with a helper thread."""
    # One BLAS thread for the process (set when the encoder loads): the two threads share the blocks.
    scores = section_scores((cosines or _Cosines(matrix.vectors)).compute(vector), matrix.starts)
    return top_sections(scores, SEMANTIC_DEPTH, -math.inf), scores


def _nearest(meaning: _Meaning | None, floor: float) -> list[tuple[Key, int, float]]:
    """(key, section id, cosine) of the sections nearest in meaning (cosine ≥ floor), best first."""
    if meaning is None:
        return []
    best, scores = meaning.nearest()
    # top_sections keeps those of the best that reach the floor: filtering its floorless list is the same.
    m = meaning.matrix
    return [(m.keys[i], m.section_ids[i], float(scores[i])) for i in best if scores[i] >= floor]


_DETAILS = text("""
    SELECT s.id, s.anchor, s.title, s.path, s.plain,
           g.slug, g.title AS guideline_title, v.version,
           (SELECT cv.version FROM guideline_versions cv
             WHERE cv.guideline_id = g.id AND cv.is_current) AS current_version
    FROM sections s
    JOIN guideline_versions v ON v.id = s.version_id
    JOIN guidelines g ON g.id = v.guideline_id
    WHERE s.id IN :ids
""").bindparams(bindparam("ids", expanding=True))


def _semantic_hits(session: Session, ids: list[int]) -> dict[int, SearchHit]:
    """Hits for sections found by meaning only: the snippet is the start of the section's text."""
    out = {}
    for d in session.execute(_DETAILS, {"ids": ids}) if ids else []:
        out[d.id] = SearchHit(
            guideline=d.slug,
            guideline_title=d.guideline_title,
            version=d.version,
            current_version=d.current_version,
            anchor=d.anchor,
            title=d.title,
            path=tuple(json.loads(d.path) if isinstance(d.path, str) else d.path),
            snippet=" ".join(d.plain.split()[:SNIPPET_WORDS]),
            score=0.0,
        )
    return out


def semantic_ranking(
    session: Session,
    query: str,
    *,
    guideline: str | None = None,
    version: str | None = None,
    floor: float = MIN_COSINE,
) -> list[tuple[Key, int, float]]:
    """(key, section id, cosine) of the sections nearest in meaning (cosine ≥ floor), best first; [] without
    the extra or vectors."""
    if not semantic.available():
        return []
    return _nearest(_meaning(session, query, guideline, version, soon=False), floor)


def lexical_depth(limit: int) -> int:
    """How many lexical hits to ask search_sections for: all its candidates when they will be fused, else
    `limit` (without the extra, fetching CANDIDATES sections to show 5 would be waste)."""
    return max(limit, CANDIDATES) if semantic.available() else limit


def fuse_semantic(
    session: Session,
    query: str,
    lexical: SearchResult,
    *,
    guideline: str | None = None,
    version: str | None = None,
    limit: int = 10,
    semantic_on: bool | None = None,
    context: str | None = None,
    context_boost: float | None = None,
) -> SearchResult:
    """The lexical result (best first, ideally all CANDIDATES of it) fused with the semantic ranking by their
    scores (`fuse_scores`), cut to `limit`; unchanged but cut without the extra or vectors (`semantic_on=None`: when installed).

    The assumed guideline `context` is weighed in the fused ranking as search_sections weighs it in the
    lexical one (`context_key`, `keep_one_other`), so fusing never undoes the channel's context. A
    lexical result asked for without snippets (`section_ids`) gets them for the hits kept only.
    """
    on = semantic_on is not False and semantic.available()
    meaning = _meaning(session, query, guideline, version, soon=False) if on else None
    return _fuse(session, lexical, meaning, limit=limit, context=context, context_boost=context_boost)


def _fuse(
    session: Session,
    lexical: SearchResult,
    meaning: _Meaning | None,
    *,
    limit: int,
    context: str | None,
    context_boost: float | None,
) -> SearchResult:
    limit = max(1, min(limit, MAX_LIMIT))
    near = _nearest(meaning, MIN_COSINE if lexical.hits else ALONE_COSINE)
    # The lexical hits still without snippets (asked for without them), by key: their section ids.
    unlit = {_key(h): i for h, i in zip(lexical.hits, lexical.section_ids, strict=False)}
    if not near:
        return SearchResult(
            _lit(session, lexical, lexical.hits[:limit], unlit),
            lexical.total,
            lexical.query,
            lexical.title_only,
        )
    by_key: dict[Key, SearchHit] = {_key(h): h for h in lexical.hits}
    fused = fuse_scores([(key, h.score) for key, h in by_key.items()], [(k, cosine) for k, _, cosine in near])
    if context:
        fused = sorted(fused, key=lambda f: context_key(f.score, f.key[0] == context, context_boost))
        fused = keep_one_other(fused, lambda f: f.key[0] == context, limit)
    else:
        fused = fused[:limit]
    ids = {k: sid for k, sid, _ in near}
    extra = _semantic_hits(session, [ids[f.key] for f in fused if f.key not in by_key])  # type: ignore[index]
    shown = [by_key.get(f.key) or extra[ids[f.key]] for f in fused]  # type: ignore[index,call-overload]
    lit = _lit(session, lexical, shown, unlit)
    hits = [replace(h, score=round(f.score, 6)) for h, f in zip(lit, fused, strict=True)]
    semantic_only = sum(1 for f in fused if f.lexical_rank is None)
    return SearchResult(hits, lexical.total + semantic_only, lexical.query, lexical.title_only)


def _key(hit: SearchHit) -> Key:
    return hit.guideline, hit.version, hit.anchor


def _lit(
    session: Session, lexical: SearchResult, hits: list[SearchHit], unlit: dict[Key, int]
) -> list[SearchHit]:
    """The hits shown, the lexical ones still without snippets given theirs (one query for all)."""
    todo = [i for i, h in enumerate(hits) if _key(h) in unlit]
    if not todo:
        return hits
    lit = highlight(session, lexical.query, [hits[i] for i in todo], [unlit[_key(hits[i])] for i in todo])
    out = list(hits)
    for i, hit in zip(todo, lit, strict=True):
        out[i] = hit
    return out


def fused_search(
    session: Session,
    query: str,
    *,
    guideline: str | None = None,
    version: str | None = None,
    limit: int = 10,
    semantic_on: bool | None = None,
    context: str | None = None,
    context_boost: float | None = None,
) -> SearchResult:
    """What `/guide` asks: search_sections (all its candidates, `context` weighed as it weighs it, no
    snippets yet) while the query is embedded, then fuse_semantic's fusion; the hits shown highlighted."""
    on = semantic_on is not False and semantic.available()  # checked once: it looks for packages
    meaning = _meaning(session, query, guideline, version, soon=True) if on else None
    lexical = search_sections(
        session,
        query,
        guideline=guideline,
        version=version,
        limit=max(limit, CANDIDATES) if on else limit,  # lexical_depth's rule
        context=context,
        context_boost=context_boost,
        snippets=False,
    )
    return _fuse(session, lexical, meaning, limit=limit, context=context, context_boost=context_boost)
