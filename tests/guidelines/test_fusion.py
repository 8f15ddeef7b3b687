"""The pure half of semantic retrieval: chunking, section scores, reciprocal rank fusion."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from guidelines.search.fusion import (
    CHUNK_WORDS,
    LINE_WORDS,
    chunk_texts,
    fuse_scores,
    heading_prefix,
    rrf,
    section_scores,
    section_texts,
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


def test_a_section_embeds_its_passages_its_heading_with_aliases_and_each_line() -> None:
    plain = 'Label the intended meaning.\n"Oh great, it broke." → Negative.\n"Wow, it works." → Positive.'
    texts = section_texts("Product sentiment", ("Rules", "Sarcasm"), plain, ("snark", " tongue  in cheek "))
    assert texts == [
        f'{PREFIX}. Label the intended meaning. "Oh great, it broke." → Negative. "Wow, it works." → Positive.',
        f"{PREFIX}. Also called: snark, tongue in cheek",
        f"{PREFIX}. Label the intended meaning.",
        f'{PREFIX}. "Oh great, it broke." → Negative.',
        f'{PREFIX}. "Wow, it works." → Positive.',
    ]


def test_a_one_line_section_without_aliases_embeds_two_distinct_texts() -> None:
    # The line is the passage (not embedded twice); the heading stands alone.
    assert section_texts("Product sentiment", ("Rules", "Sarcasm"), "Sarcastic praise is Negative.") == [
        f"{PREFIX}. Sarcastic praise is Negative.",
        PREFIX,
    ]
    assert section_texts("Product sentiment", ("Rules", "Sarcasm"), " ") == [PREFIX]


@given(
    title=st.text(max_size=40),
    path=st.lists(st.text(max_size=30), max_size=4),
    plain=st.text(max_size=3000),
    aliases=st.lists(st.text(max_size=20), max_size=4),
)
def test_section_texts_are_distinct_start_with_the_passages_and_bound_each_line(
    title: str, path: list[str], plain: str, aliases: list[str]
) -> None:
    texts = section_texts(title, tuple(path), plain, tuple(aliases))
    passages = list(dict.fromkeys(c for c in chunk_texts(title, tuple(path), plain) if c))
    assert texts[: len(passages)] == passages
    assert len(texts) == len(set(texts)) and all(texts)
    prefix = heading_prefix(title, path)
    for t in texts[len(passages) :]:
        rest = t[len(prefix) :].removeprefix(". ") if prefix and t.startswith(prefix) else t
        assert rest.startswith("Also called: ") or len(rest.split()) <= LINE_WORDS or t == prefix


def test_score_fusion_weighs_margins_not_only_ranks() -> None:
    # "a" is first lexically by far and fourth by meaning, a little behind; "c" is barely matched by words.
    lexical = [("a", 10.0), ("b", 2.0), ("c", 1.0)]
    semantic = [("c", 0.50), ("b", 0.48), ("e", 0.47), ("a", 0.45)]
    assert fuse_scores(lexical, semantic)[0].key == "a"
    # Ranks alone put "c" (3rd and 1st) before "a" (1st and 4th).
    assert rrf(["a", "b", "c"], ["c", "b", "e", "a"], k=1, semantic_weight=1.0)[0].key == "c"
    fused = {f.key: f for f in fuse_scores(lexical, [("d", 0.6)])}
    assert (fused["d"].lexical_rank, fused["d"].semantic_rank) == (None, 1)
    assert fuse_scores(lexical, []) == fuse_scores(lexical, [])
    assert [f.key for f in fuse_scores(lexical, [])] == ["a", "b", "c"]
    assert [f.key for f in fuse_scores([], [("p", 0.5), ("q", 0.4)])] == ["p", "q"]
    # Equal scores keep the lexical order, then the semantic one.
    assert [f.key for f in fuse_scores([("x", 1.0), ("y", 1.0)], [], rank_weight=0)] == ["x", "y"]


def test_a_weak_best_cosine_does_not_count_as_a_strong_one() -> None:
    # "indemnification cap" in a product-sentiment channel: one lexical hit (contract-ner's Money) and a
    # product-sentiment section nearest in meaning at cosine 0.22, nowhere near a paraphrase.
    lexical, weak = [("money", 4.08)], [("clear-cut", 0.22)]
    fused = {f.key: f.score for f in fuse_scores(lexical, weak)}
    assert fused["money"] > fused["clear-cut"] * 1.5  # even with the channel's weight on it
    # Scaled by the query's best cosine (as before), the weak first counted in full and won.
    assert fuse_scores(lexical, weak, span=None)[0].key == "clear-cut"
    # A strong cosine still beats a lexical first the meaning does not back.
    assert fuse_scores(lexical, [("close", 0.7)])[0].key == "close"
    # The fixed span: the same section's fused score rises with its cosine, whatever the others'.
    low = {f.key: f.score for f in fuse_scores(lexical, [("x", 0.5), ("y", 0.4)])}
    high = {f.key: f.score for f in fuse_scores(lexical, [("z", 0.9), ("y", 0.4)])}
    assert low["y"] == high["y"]


@given(
    lexical=st.dictionaries(st.sampled_from("abcdefgh"), st.floats(0, 50), max_size=8),
    semantic=st.dictionaries(st.sampled_from("defghijk"), st.floats(0.1, 1), max_size=8),
)
def test_score_fusion_keeps_every_key_once_best_first(lexical: dict, semantic: dict) -> None:
    lex = sorted(lexical.items(), key=lambda kv: -kv[1])
    sem = sorted(semantic.items(), key=lambda kv: -kv[1])
    fused = fuse_scores(lex, sem)
    assert sorted(f.key for f in fused) == sorted(set(lexical) | set(semantic))
    assert [f.score for f in fused] == sorted((f.score for f in fused), reverse=True)
