"""Section chunk vectors: computed at publish (or by `annobot guidelines reindex`), stored with the version.

The chunking is pure (guidelines.search.fusion.section_texts); the encoder is the optional extra
(bot.semantic.encoder). Without the extra a publish stores no vectors and says so once per process;
search then ranks lexically only, and `annobot guidelines reindex` computes the missing vectors later.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from bot.semantic import encoder as semantic
from bot.store.models.guidelines import GuidelineVersion, Section
from bot.store.models.vectors import SectionChunk
from guidelines.search.fusion import CHUNKING, section_texts

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger("annobot.search")

# Hashes per `IN (…)` when looking for vectors already stored (well under SQLite's 32,766 parameters).
_HASH_BATCH = 500
# Vectors of chunk texts this process encoded lately (about 1.5 KB each): publishing the same text
# into another database (tests, a staging copy) does not encode it again.
_RECENT_MAX = 8192
_recent: OrderedDict[tuple[str, str], bytes] = OrderedDict()
_recent_lock = threading.Lock()
_warned = threading.Event()


@dataclass(frozen=True)
class SectionText:
    """What a section contributes to its chunks."""

    section_id: int
    path: tuple[str, ...]
    plain: str
    aliases: tuple[str, ...] = ()


def fingerprint(encoder_fingerprint: str) -> str:
    """What stored vectors are marked with: the encoder's weights and what was embedded (CHUNKING).

    Vectors of another chunking are ignored like another model's, so changing what is embedded makes
    `annobot guidelines reindex` (or the next publish) compute them again.
    """
    return f"{encoder_fingerprint}+{CHUNKING}"


def semantic_off_reason() -> str | None:
    """Why this process computes no vectors (the extra or the weights are missing); None when it can."""
    return semantic.why_unavailable()


def warn_once(reason: str) -> None:
    """Log that publishes store no vectors, once per process (a publish of 50 versions says it once)."""
    if not _warned.is_set():
        _warned.set()
        log.warning("publishing without sentence embeddings (search stays lexical): %s", reason)


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _stored(session: Session, fingerprint: str, hashes: Sequence[str]) -> dict[str, bytes]:
    """Vectors already stored (any version) for these chunk texts, by text hash."""
    found: dict[str, bytes] = {}
    unique = sorted(set(hashes))
    for i in range(0, len(unique), _HASH_BATCH):
        rows = session.execute(
            select(SectionChunk.text_hash, SectionChunk.vector).where(
                SectionChunk.fingerprint == fingerprint,
                SectionChunk.text_hash.in_(unique[i : i + _HASH_BATCH]),
            )
        )
        for h, v in rows:
            found.setdefault(h, bytes(v))
    return found


def _remember(fingerprint: str, pairs: dict[str, bytes]) -> None:
    with _recent_lock:
        for h, v in pairs.items():
            _recent[(fingerprint, h)] = v
            _recent.move_to_end((fingerprint, h))
        while len(_recent) > _RECENT_MAX:
            _recent.popitem(last=False)


def _recalled(fingerprint: str, hashes: Sequence[str]) -> dict[str, bytes]:
    with _recent_lock:
        return {h: _recent[(fingerprint, h)] for h in hashes if (fingerprint, h) in _recent}


def store_vectors(
    session: Session, version_id: int, guideline_title: str, sections: Sequence[SectionText]
) -> int:
    """Chunk, embed and store the sections of one version; the number of chunks stored.

    A chunk whose exact text was embedded before with the same weights (an unchanged section of an
    earlier version) reuses that vector: a new version costs only its changed sections.
    Raises SemanticUnavailable without the extra.
    """
    import numpy as np

    enc = semantic.load_encoder()
    mark = fingerprint(enc.fingerprint)
    rows: list[tuple[int, int, str, str]] = []  # section id, position, text, hash
    for s in sections:
        for position, text in enumerate(section_texts(guideline_title, s.path, s.plain, s.aliases)):
            rows.append((s.section_id, position, text, _hash(text)))
    if not rows:
        return 0
    hashes = [r[3] for r in rows]
    vectors = _recalled(mark, hashes)
    vectors.update(_stored(session, mark, [h for h in hashes if h not in vectors]))
    todo = list(dict.fromkeys((r[3], r[2]) for r in rows if r[3] not in vectors))
    if todo:
        encoded = enc.encode([text for _, text in todo])
        fresh = {h: np.ascontiguousarray(encoded[i], dtype="<f4").tobytes() for i, (h, _) in enumerate(todo)}
        vectors.update(fresh)
    _remember(mark, {h: vectors[h] for h in hashes})
    session.execute(
        insert(SectionChunk),
        [
            {
                "version_id": version_id,
                "section_id": sid,
                "position": position,
                "fingerprint": mark,
                "text_hash": h,
                "vector": vectors[h],
            }
            for sid, position, _text, h in rows
        ],
    )
    return len(rows)


def version_sections(session: Session, version_id: int) -> list[SectionText]:
    """The sections of a stored version, in document order, as chunking needs them."""
    rows = session.execute(
        select(Section.id, Section.path, Section.plain, Section.aliases)
        .where(Section.version_id == version_id)
        .order_by(Section.position)
    )
    return [SectionText(sid, tuple(path), plain, tuple(aliases or ())) for sid, path, plain, aliases in rows]


@dataclass(frozen=True)
class ReindexResult:
    """What `reindex` did: versions embedded now, chunks stored, versions that already had vectors."""

    versions: int
    chunks: int
    skipped: int


def reindex(session: Session) -> ReindexResult:
    """Compute the vectors of every version stored without them (for this encoder's weights)."""
    mark = fingerprint(semantic.load_encoder().fingerprint)
    have = set(
        session.scalars(select(SectionChunk.version_id).where(SectionChunk.fingerprint == mark).distinct())
    )
    done = chunks = skipped = 0
    for vid, title, count in session.execute(
        select(GuidelineVersion.id, GuidelineVersion.title, GuidelineVersion.section_count).order_by(
            GuidelineVersion.id
        )
    ):
        if vid in have or count == 0:
            skipped += 1
            continue
        chunks += store_vectors(session, vid, title, version_sections(session, vid))
        done += 1
    return ReindexResult(done, chunks, skipped)


def as_matrix(blobs: Sequence[bytes]) -> np.ndarray:
    """Stored vectors as one (n, 384) float32 matrix."""
    import numpy as np

    if not blobs:
        return np.zeros((0, semantic.DIMENSIONS), dtype=np.float32)
    return (
        np.frombuffer(b"".join(blobs), dtype="<f4")
        .reshape(len(blobs), semantic.DIMENSIONS)
        .astype(np.float32)
    )
