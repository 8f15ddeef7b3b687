"""Semantic retrieval fused with the lexical ranking: section chunks, section scores, reciprocal rank fusion.

Pure: texts and numbers in, rankings out. The vectors are computed and stored by bot/store/vectors.py
and bot/semantic; this module only says what is embedded and how the two rankings are combined.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    import numpy as np

# A chunk is at most this many words, its heading path included: all-MiniLM-L6-v2 reads 256 word
# pieces, about 200 English words; past that the text would be cut without a word of warning.
CHUNK_WORDS = 200
# A line chunk (one paragraph or list item, e.g. one worked example) is at most this many words of body:
# MiniLM matches a short paraphrase far better against a short text than against 200 words in which
# the one sentence that answers is averaged away (BENCHMARKS.md, "Short chunks and score fusion").
LINE_WORDS = 60
# What `section_texts` embeds, as a name stored beside the encoder's fingerprint (bot/store/vectors.py):
# change it whenever the texts embedded change, so that vectors stored before are computed again.
CHUNKING = "passages+heading+lines/1"
# Reciprocal rank fusion (`rrf`, kept for comparison in bench/fusion_tune.py): score = sum of
# weight / (K + rank) over the rankings a section is in.
RRF_K = 1
SEMANTIC_WEIGHT = 0.75
# Score fusion (`fuse_scores`, what /guide uses): LEXICAL_WEIGHT × the BM25F score over the query's best
# + (1 − LEXICAL_WEIGHT) × (cosine − MIN_COSINE) / COSINE_SPAN + RANK_WEIGHT × the RRF score (k = RRF_K,
# both rankings weighed 1), which rewards the sections both rankings put high. The cosine is scaled by a
# fixed span, not by the query's best: a best cosine of 0.22 is a weak match and must not count as much
# as one of 0.6 (scaled by the best, it did: "indemnification cap" asked in a product-sentiment channel
# put a product-sentiment section first). Chosen on the tuning half of bench/lookup_questions.toml (odd
# ids); BENCHMARKS.md gives both halves.
LEXICAL_WEIGHT = 0.4
RANK_WEIGHT = 0.5
COSINE_SPAN = 0.5
# Sections taken from the semantic ranking (the lexical one gives all its candidates).
SEMANTIC_DEPTH = 30
# Below this cosine a section is not a semantic candidate (and it is the zero of the fused semantic
# score): the lexical ranking alone orders sections that are nowhere near the query in meaning.
MIN_COSINE = 0.1
# With no lexical hit at all, the semantic ranking answers alone only from this cosine up: queries about
# nothing ("xyzzy", "lorem ipsum") and typos ("sarcsm") reach 0.17–0.28 on the examples, and the
# "did you mean" titles serve a typo better than the nearest section by meaning.
ALONE_COSINE = 0.3

_SENTENCE = re.compile(r"(?<=[.!?…])\s+")

K = TypeVar("K", bound=Hashable)


def chunk_texts(
    guideline_title: str, path: Sequence[str], plain: str, max_words: int = CHUNK_WORDS
) -> list[str]:
    """A section's texts to embed: its body cut at sentence ends into chunks of ≤ max_words words,
    each led by the guideline title and the heading path (so a chunk of "Examples" says of what).

    A sentence longer than a chunk is cut between words. A section without body text is one chunk: its
    heading path alone.
    """
    prefix = heading_prefix(guideline_title, path)
    prefix_words = len(prefix.split())
    budget = max(max_words - prefix_words, max_words // 4)
    chunks = _pack(_SENTENCE.split(" ".join(plain.split())), budget) or [[]]
    return [f"{prefix}. {' '.join(c)}" if prefix and c else prefix or " ".join(c) for c in chunks]


def section_texts(
    guideline_title: str, path: Sequence[str], plain: str, aliases: Sequence[str] = ()
) -> list[str]:
    """Everything a section embeds, distinct texts in a fixed order: its passages (`chunk_texts`), its
    heading path with its aliases, and each line of its body (a paragraph, a list item, a worked
    example) of ≤ LINE_WORDS words, each led by the heading path.

    A section scores its best text: a short question meets the one line that answers it.
    """
    prefix = heading_prefix(guideline_title, path)
    names = ", ".join(" ".join(a.split()) for a in aliases if a.split())
    texts = chunk_texts(guideline_title, path, plain)
    texts.append(f"{prefix}. Also called: {names}" if names and prefix else prefix or names)
    for line in plain.splitlines():
        for words in _pack(_SENTENCE.split(" ".join(line.split())), LINE_WORDS):
            texts.append(f"{prefix}. {' '.join(words)}" if prefix else " ".join(words))
    return [t for t in dict.fromkeys(texts) if t]


def _pack(sentences: Sequence[str], budget: int) -> list[list[str]]:
    """Sentences packed in order into runs of ≤ budget words (a longer sentence cut between words)."""
    runs: list[list[str]] = []
    current: list[str] = []
    for sentence in sentences:
        words = sentence.split()
        while words:
            room = budget - len(current)
            if len(words) <= room:
                current.extend(words)
                words = []
            elif current:
                runs.append(current)
                current = []
            else:  # one sentence longer than a whole run
                runs.append(words[:budget])
                words = words[budget:]
    if current:
        runs.append(current)
    return runs


def heading_prefix(guideline_title: str, path: Sequence[str]) -> str:
    """`Guideline › Ancestor › Section`, blank parts left out and inner whitespace collapsed."""
    parts = (" ".join(p.split()) for p in (guideline_title, *path))
    return " › ".join(p for p in parts if p)


def section_scores(similarity: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """The score of each section, the best of its chunks: `similarity` holds one cosine per chunk, the
    chunks of a section contiguous, `starts` the index of each section's first chunk (ascending)."""
    import numpy as np

    if len(starts) == 0:
        return np.zeros(0, dtype=similarity.dtype)
    return np.maximum.reduceat(similarity, starts)


def top_sections(scores: np.ndarray, depth: int = SEMANTIC_DEPTH, floor: float = MIN_COSINE) -> list[int]:
    """Indices of the `depth` best scores at or above `floor`, best first (ties: lower index first)."""
    import numpy as np

    if len(scores) == 0 or depth <= 0:
        return []
    k = min(depth, len(scores))
    part = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
    best = sorted(part.tolist(), key=lambda i: (-float(scores[i]), i))
    return [i for i in best if scores[i] >= floor]


@dataclass(frozen=True)
class Fused:
    """One fused result: the key, its fused score, and its 1-based rank in each list (None: absent)."""

    key: Hashable
    score: float
    lexical_rank: int | None
    semantic_rank: int | None


def fuse_scores(
    lexical: Sequence[tuple[K, float]],
    semantic: Sequence[tuple[K, float]],
    *,
    lexical_weight: float = LEXICAL_WEIGHT,
    floor: float = MIN_COSINE,
    rank_weight: float = RANK_WEIGHT,
    span: float | None = COSINE_SPAN,
) -> list[Fused]:
    """Score fusion of a lexical ranking (key, BM25F score) and a semantic one (key, cosine), best first.

    The BM25F score is scaled by the query's best, the cosine measured from `floor` and scaled by the
    fixed `span` (None: by the query's best, as before; kept for bench/fusion_tune.py), and the two are
    mixed by `lexical_weight`; `rank_weight` adds their reciprocal rank fusion. With ranks alone, a
    section second in both rankings beat one first by far in either (ps-pa-01: "is snark negative");
    with scaled scores the margins count. Ties keep the lexical order, then the semantic order.
    """
    lex = dict(lexical)
    sem = dict(semantic)
    top_lex = max((s for s in lex.values() if s > 0), default=1.0)
    if span is None:
        span = max(sem.values(), default=floor + 1.0) - floor
    span = span if span > 1e-9 else 1.0
    lex_rank = {key: r for r, key in enumerate(lex, 1)}
    sem_rank = {key: r for r, key in enumerate(sem, 1)}
    keys = list(dict.fromkeys([*lex, *sem]))
    out = []
    for key in keys:
        score = 0.0
        if key in lex:
            score += lexical_weight * max(lex[key], 0.0) / top_lex
        if key in sem:
            score += (1 - lexical_weight) * max(sem[key] - floor, 0.0) / span
        if rank_weight:
            ranks = (1.0 / (RRF_K + r) for r in (lex_rank.get(key), sem_rank.get(key)) if r is not None)
            score += rank_weight * sum(ranks)
        out.append(Fused(key, score, lex_rank.get(key), sem_rank.get(key)))
    order = {key: i for i, key in enumerate(keys)}
    return sorted(out, key=lambda f: (-round(f.score, 12), order[f.key]))


def rrf(
    lexical: Sequence[K],
    semantic: Sequence[K],
    *,
    k: float = RRF_K,
    semantic_weight: float = SEMANTIC_WEIGHT,
) -> list[Fused]:
    """Reciprocal rank fusion of two rankings (best first, no duplicates within one), best first.

    Ties keep the lexical order, then the semantic order: a deterministic result for equal inputs.
    """
    lex = {key: r for r, key in enumerate(dict.fromkeys(lexical), 1)}
    sem = {key: r for r, key in enumerate(dict.fromkeys(semantic), 1)}
    keys = list(dict.fromkeys([*lex, *sem]))
    out = []
    for key in keys:
        score = 0.0
        if key in lex:
            score += 1.0 / (k + lex[key])
        if key in sem:
            score += semantic_weight / (k + sem[key])
        out.append(Fused(key, score, lex.get(key), sem.get(key)))
    order = {key: i for i, key in enumerate(keys)}
    return sorted(out, key=lambda f: (-round(f.score, 12), order[f.key]))
