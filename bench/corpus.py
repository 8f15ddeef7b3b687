"""Deterministic synthetic guideline corpus for the search and Slack benchmarks."""

from __future__ import annotations

import random

from guidelines.model import GuidelineDocument, GuidelineMeta, Section, SourceFile

# A domain vocabulary with a Zipf-like draw, so some words are common and most are rare, as in
# real guidelines. "sarcasm" is kept rare on purpose: it is the benchmark's needle.
_WORDS = (
    "label annotator review item span entity sentiment positive negative neutral mixed rule example "
    "edge case boundary token document query relevance grade intent navigational informational "
    "transactional party date money jurisdiction term contract clause clause definition exclude include "
    "punctuation article quote emoji emoticon irony hedging negation comparison question spam offtopic "
    "language translation duplicate broken page freshness ambiguous tie adjacent partial marginal highly "
    "irrelevant governing law venue currency amount abbreviation nested overlap reference defined agreement "
    "guideline section version release change reword adjudicate flag disagreement gold accuracy drift"
).split()


def _vocabulary(size: int = 6000, seed: int = 3) -> list[str]:
    """Domain words first (the frequent head), then pronounceable made-up words (the long tail)."""
    rng = random.Random(seed)
    syllables = [c + v for c in "bcdfghklmnprstvz" for v in "aeiou"]
    words = list(dict.fromkeys(_WORDS))
    seen = set(words)
    while len(words) < size:
        w = "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))
        if w not in seen:
            seen.add(w)
            words.append(w)
    return words


VOCABULARY = _vocabulary()
# Zipf's law (s = 1), the shape of word frequencies in real text.
_WEIGHTS = [1 / (rank + 1) for rank in range(len(VOCABULARY))]


def _draw(rng: random.Random, k: int) -> list[str]:
    return rng.choices(VOCABULARY, weights=_WEIGHTS, k=k)


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(_draw(rng, n)).capitalize() + "."


def synthetic_documents(
    total_sections: int = 20_000, per_guideline: int = 500, seed: int = 7
) -> list[GuidelineDocument]:
    """Guideline documents adding up to total_sections sections."""
    rng = random.Random(seed)
    docs = []
    for g in range(total_sections // per_guideline):
        slug = f"synthetic-{g:03d}"
        sections = []
        for i in range(per_guideline):
            title = " ".join(_draw(rng, 3)).title()
            if i % 97 == 0:
                title += " and sarcasm"
            body = "\n\n".join(
                " ".join(_sentence(rng, rng.randint(8, 20)) for _ in range(3))
                for _ in range(rng.randint(1, 4))
            )
            level = 1 if i % 10 == 0 else 2
            parent = sections[-(i % 10)].title if level == 2 and sections else None
            path = (parent, title) if parent else (title,)
            sections.append(
                Section(
                    anchor=f"s{i}",
                    title=title,
                    level=level,
                    path=path,
                    body=body,
                    file="rules.md",
                    line=1 + i * 5,
                    position=i,
                )
            )
        meta = GuidelineMeta(
            slug=slug, title=f"Synthetic guideline {g}", version="1.0.0", labels=("A", "B"), scale="nominal"
        )
        text = "\n\n".join(f"{'#' * s.level} {s.title} {{#{s.anchor}}}\n\n{s.body}" for s in sections)
        docs.append(
            GuidelineDocument(meta=meta, sections=tuple(sections), files=(SourceFile("rules.md", text),))
        )
    return docs


def query_mix(n: int, seed: int = 11) -> list[str]:
    """Queries like people type: one to four words, questions, phrases, exclusions.

    Words come from the same Zipf distribution as the text, so common words (the costly case for
    ranking) are asked for as often as they occur; a third of the shapes use only the domain head.
    """
    rng = random.Random(seed)
    shapes = [
        lambda: _draw(rng, 1)[0],
        lambda: " ".join(_draw(rng, 2)),
        lambda: f"is {_draw(rng, 1)[0]} {_draw(rng, 1)[0]}?",
        lambda: '"' + " ".join(_draw(rng, 2)) + '"',
        lambda: f"{_draw(rng, 1)[0]} -{_draw(rng, 1)[0]}",
        lambda: "sarcasm",
        lambda: " ".join(_draw(rng, 4)),
        lambda: rng.choice(_WORDS),
        lambda: " ".join(rng.sample(_WORDS, 3)),
    ]
    return [rng.choice(shapes)() for _ in range(n)]
