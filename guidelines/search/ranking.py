"""BM25F over a few candidate sections: one ranking for both database backends."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

K1 = 1.2
B = 0.75
# Field weights: a word in the title says far more about a section than one in its body.
WEIGHTS = (10.0, 3.0, 1.0)  # title, path, body


@dataclass(frozen=True)
class CorpusStats:
    """What BM25 needs to know about the whole corpus."""

    sections: int
    avg_lengths: tuple[float, float, float]  # title, path, body, in searchable words


def bm25f(
    fields: Sequence[Sequence[str]],
    query: Sequence[str],
    df: Mapping[str, int],
    corpus: CorpusStats,
) -> float:
    """Score one section (its fields as stem lists) for the query stems."""
    norms = [
        1 - B + B * (len(f) / avg if avg > 0 else 1.0)
        for f, avg in zip(fields, corpus.avg_lengths, strict=True)
    ]
    score = 0.0
    for term in dict.fromkeys(query):
        tf = 0.0
        for weight, field, norm in zip(WEIGHTS, fields, norms, strict=True):
            n_term = field.count(term)
            if n_term:
                tf += weight * n_term / norm
        if tf:
            n = df.get(term, 1)
            idf = math.log(1 + (corpus.sections - n + 0.5) / (n + 0.5))
            score += idf * tf * (K1 + 1) / (K1 + tf)
    return score
