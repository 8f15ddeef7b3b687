"""Closest-title scoring on tiny inputs (pure: no database)."""

from __future__ import annotations

import pytest

from guidelines.search import closest
from guidelines.search.closest import closest_titles, index_titles

ROWS = [
    ("g", "1.0.0", "sarcasm", "Sarcasm and irony"),
    ("g", "1.0.0", "emoji", "Emoji"),
    ("g", "1.0.0", "negation", "Negation"),
    ("a", "2.0.0", "sarcasm", "Sarcasm"),
]


def test_a_typo_of_one_title_word_is_a_near_miss() -> None:
    got = closest_titles(index_titles(ROWS), "sarcsm")
    assert got[:2] == [ROWS[3], ROWS[0]]  # equal scores: by slug, then anchor


def test_nothing_alike_and_blank_queries_suggest_nothing() -> None:
    index = index_titles(ROWS)
    assert closest_titles(index, "zzzzqqqq") == []
    assert closest_titles(index, "  \t ") == []
    assert closest_titles(index_titles([]), "emoji") == []


def test_limit_and_case() -> None:
    assert closest_titles(index_titles(ROWS), "EMOJI", limit=1) == [ROWS[1]]


def test_the_word_index_lists_each_title_once_per_word() -> None:
    index = index_titles([("g", "1", "a", "Dates and dates"), ("g", "1", "b", "Dates")])
    assert index.lowered == ["dates and dates", "dates"]
    assert index.by_word == {"dates": [0, 1], "and": [0]}


@pytest.mark.parametrize("limit", [1, 100])
def test_many_titles_are_narrowed_by_near_words_with_the_same_best(
    monkeypatch: pytest.MonkeyPatch, limit: int
) -> None:
    rows = ROWS + [("g", "1.0.0", f"topic-{i}", f"Topic number {i}") for i in range(20)]
    monkeypatch.setattr(closest, "EXACT_SCAN_MAX", limit)
    index = index_titles(rows)
    assert closest_titles(index, "negatoin")[0] == ROWS[2]
    assert closest_titles(index, "topik numbr")[0][3].startswith("Topic number")
