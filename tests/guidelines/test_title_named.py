"""A query that names a section's whole title raises that section's BM25F score (guidelines/search/ranking.py)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from guidelines.search.ranking import TITLE_NAMED_BOOST, named_score, names_title
from guidelines.search.words import stems


def _asked(query: str) -> frozenset[str]:
    return frozenset(stems(query))


def test_every_title_word_in_the_query_names_the_section() -> None:
    title = " ".join(stems("Decision order"))
    assert names_title(title, _asked("decision order when a mention could take two labels"))
    assert names_title(" ".join(stems("Negative")), _asked("what makes a review Negative"))
    # One title word of two is not naming it.
    assert not names_title(" ".join(stems("Mixed reviews")), _asked("what makes a review Negative"))
    assert not names_title(title, _asked("order of the spans"))


def test_an_empty_title_or_a_title_of_features_names_nothing() -> None:
    assert not names_title("", _asked("anything at all"))
    # Features (tokens starting with a sign) are not title words: a title of features alone names nothing.
    assert not names_title("~mix|neutral", frozenset({"~mix|neutral"}))
    assert names_title("rate ~rate|text", _asked("rating"))


def test_the_boost_multiplies_a_positive_score_only() -> None:
    title = " ".join(stems("Negation"))
    assert named_score(2.0, title, _asked("negation")) == 2.0 * (1 + TITLE_NAMED_BOOST)
    assert named_score(2.0, title, _asked("sarcasm")) == 2.0
    assert named_score(0.0, title, _asked("negation")) == 0.0


@given(st.text(max_size=40), st.text(max_size=80), st.floats(min_value=0, max_value=100))
def test_the_boost_never_lowers_a_score_nor_more_than_its_fraction(
    title: str, query: str, score: float
) -> None:
    raised = named_score(score, " ".join(stems(title)), _asked(query))
    assert score <= raised <= score * (1 + TITLE_NAMED_BOOST)
