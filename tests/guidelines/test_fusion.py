"""The pure half of semantic retrieval: chunking, section scores, reciprocal rank fusion."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from guidelines.search.fusion import (
    CHUNK_WORDS,
    chunk_texts,
    heading_prefix,
    rrf,
    section_scores,
    top_sections,
)

PREFIX = "Product sentiment › Rules › Sarcasm"


def test_a_short_section_is_one_chunk_led_by_its_heading_path() -> None:
    assert chunk_texts("Product sentiment", ("Rules", "Sarcasm"), "Sarcastic praise is Negative.") == [
        f"{PREFIX}. Sarcastic praise is Negative."
    ]


def test_an_empty_section_is_its_heading_path() -> None:
    assert chunk_texts("Product sentiment", ("Rules", "Sarcasm"), "  ") == [PREFIX]


def test_long_text_is_cut_at_sentence_ends_within_the_word_budget() -> None:
    sentence = " ".join(["word"] * 29) + "."
    chunks = chunk_texts("Product sentiment", ("Rules", "Sarcasm"), " ".join([sentence] * 20))
    assert len(chunks) > 1
    for c in chunks:
        assert c.startswith(PREFIX + ". ") and len(c.split()) <= CHUNK_WORDS
        assert c.endswith(".")  # no sentence split: each is 30 words, well under a chunk


@given(
    title=st.text(max_size=40),
    path=st.lists(st.text(max_size=30), max_size=4),
    plain=st.text(max_size=3000),
)
def test_chunking_keeps_every_word_in_order_and_bounds_each_chunk(
    title: str, path: list[str], plain: str
) -> None:
    chunks = chunk_texts(title, tuple(path), plain)
    assert chunks
    prefix = heading_prefix(title, path)
    budget = max(CHUNK_WORDS - len(prefix.split()), CHUNK_WORDS // 4)
    body_words = []
    for c in chunks:
        assert c.startswith(prefix)
        rest = c[len(prefix) :].removeprefix(". ") if prefix else c
        words = rest.split()
        assert len(words) <= budget
        body_words.extend(words)
    assert body_words == plain.split()


def test_a_section_scores_its_best_chunk() -> None:
    sims = np.array([0.1, 0.7, 0.2, 0.4, 0.3], dtype=np.float32)
    assert (
        section_scores(sims, np.array([0, 2, 4])).tolist()
        == np.array([0.7, 0.4, 0.3], dtype=np.float32).tolist()
    )
    assert top_sections(np.array([0.2, 0.9, 0.1, 0.9]), depth=3, floor=0.15) == [1, 3, 0]


def test_rrf_puts_a_section_both_rankings_agree_on_first_and_is_deterministic() -> None:
    fused = rrf(["a", "b", "c"], ["c", "d", "a"], k=1, semantic_weight=0.75)
    assert [f.key for f in fused][:2] == ["a", "c"]
    assert {f.key: (f.lexical_rank, f.semantic_rank) for f in fused}["d"] == (None, 2)
    assert rrf(["x", "y"], []) == rrf(["x", "y"], [])
    assert [f.key for f in rrf([], ["p", "q"])] == ["p", "q"]
