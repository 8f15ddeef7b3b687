"""Integer term weights for choosing candidates: computed once, in Python, the same on every backend.

Above FULL_SCAN sections the store picks the sections the shared BM25F reranks by a sum of integer
products (`weight` stored per section and stem at publish, `idf_weight` from the shared document
frequencies): integers, so both databases add them up exactly alike, with no tokeniser, stemmer or
float summation order of their own in the way (issue 15 item 8).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from guidelines.search.ranking import ALIAS_SEPARATOR, ALIAS_WEIGHT, K1, WEIGHTS, B

SCALE = 1000  # weights and idfs are fixed-point numbers with three decimals
WHOLE, TITLE = 0, 1  # a posting's field: anywhere in the section, or in its title or aliases


def _saturated(tf: float) -> int:
    # At least 1: a stem that occurs must count, however long the field.
    return max(1, round(SCALE * tf * (K1 + 1) / (K1 + tf)))


def section_postings(
    fields: Sequence[Sequence[str]], avg_lengths: Sequence[float]
) -> list[tuple[int, str, int]]:
    """(field, stem, weight) of one section: its stems' BM25F term weights without idf, as integers.

    `fields` are title, path, body and alias stems as stored (`alias_stems`), `avg_lengths` the
    average title, path and body lengths to normalise by (the publishing version's). Aliases count
    as title words here whether or not the query holds the whole alias: selection only needs a
    section to be a fair candidate, the rerank (`bm25f`) decides.
    """
    texts = [list(f) for f in fields[:3]] + [[] for _ in range(3 - len(fields[:3]))]
    aliases = [t for t in (fields[3] if len(fields) > 3 else ()) if t != ALIAS_SEPARATOR]
    norms = [
        1 - B + B * (len(f) / avg if avg > 0 else 1.0) for f, avg in zip(texts, avg_lengths, strict=True)
    ]
    whole: dict[str, float] = {}
    title: dict[str, float] = {}
    for weight, field, norm, into in (
        (WEIGHTS[0], texts[0], norms[0], (whole, title)),
        (WEIGHTS[1], texts[1], norms[1], (whole,)),
        (WEIGHTS[2], texts[2], norms[2], (whole,)),
        (ALIAS_WEIGHT, aliases, 1.0, (whole, title)),
    ):
        for term in field:
            for d in into:
                d[term] = d.get(term, 0.0) + weight / norm
    return [(WHOLE, t, _saturated(tf)) for t, tf in whole.items()] + [
        (TITLE, t, _saturated(tf)) for t, tf in title.items()
    ]


def idf_weight(df: int, sections: int) -> int:
    """BM25's idf of a stem found in `df` of `sections` sections, as an integer (the rerank's formula)."""
    n = max(df, 1)
    return round(SCALE * math.log(1 + max(sections - n + 0.5, 0.0) / (n + 0.5)))
