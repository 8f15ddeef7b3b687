"""The label -> section rule on tiny inputs (pure: no database)."""

from __future__ import annotations

from guidelines.search.labels import SectionWords, match_label_sections
from guidelines.search.ranking import stems


def _section(anchor: str, title: str, body: str = "") -> SectionWords:
    return SectionWords(anchor, title, tuple(stems(title)), tuple(stems(body)))


SECTIONS = [
    _section("overview", "Overview", "Negative reviews complain. A negative word is not enough."),
    _section("negation", "Negation", "Negated praise is negative."),
    _section("neg", "Negative", "Complaints."),
    _section("mixed-reviews", "Mixed reviews", "Both."),
    _section("choose", "Choosing between Neutral and Mixed", "Neutral has no opinion."),
    _section("sarcasm", "Sarcasm", "Sarcastic praise is Positive; positive words mislead."),
]


def test_an_exact_title_wins_over_a_stem_match() -> None:
    # "negative" and "negation" share the stem "negat": the exact title decides.
    assert match_label_sections(["NEGATIVE "], SECTIONS) == {"NEGATIVE ": ("neg", "Negative")}


def test_else_the_shortest_title_with_every_stem() -> None:
    got = match_label_sections(["Mixed", "Neutral"], SECTIONS)
    assert got == {
        "Mixed": ("mixed-reviews", "Mixed reviews"),
        "Neutral": ("choose", "Choosing between Neutral and Mixed"),
    }


def test_else_the_body_that_mentions_the_label_most() -> None:
    assert match_label_sections(["Positive"], SECTIONS) == {"Positive": ("sarcasm", "Sarcasm")}
    ties = [_section("a", "A", "positive"), _section("b", "B", "positive")]
    assert match_label_sections(["Positive"], ties) == {"Positive": ("a", "A")}


def test_every_stem_must_occur_and_unnamed_labels_are_left_out() -> None:
    assert match_label_sections(["Slightly positive", "Sarcastic irony", "the"], SECTIONS) == {}
    assert match_label_sections([], SECTIONS) == {}
