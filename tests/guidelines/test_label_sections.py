"""The label -> section rule on tiny inputs (pure: no database): the declaration, else an exact title."""

from __future__ import annotations

from guidelines.search.labels import SectionTitle, match_label_sections

SECTIONS = [
    SectionTitle("overview", "Overview"),
    SectionTitle("negation", "Negation"),
    SectionTitle("neg", "Negative"),
    SectionTitle("mixed-reviews", "Mixed reviews"),
    SectionTitle("choose", "Choosing between Neutral and Mixed"),
    SectionTitle("sarcasm", "Sarcasm"),
]


def test_an_exact_title_is_taken_case_and_spacing_aside() -> None:
    assert match_label_sections(["NEGATIVE "], SECTIONS) == {"NEGATIVE ": ("neg", "Negative")}


def test_nothing_is_guessed_from_words() -> None:
    # "Mixed" shares words with "Mixed reviews" and "Choosing between Neutral and Mixed", "Negativity"
    # a stem with "Negation" and "Negative": none is the label's section unless declared.
    assert match_label_sections(["Mixed", "Neutral", "Negativity", "Sarcastic"], SECTIONS) == {}
    assert match_label_sections([], SECTIONS) == {}


def test_the_declaration_wins_over_a_title() -> None:
    got = match_label_sections(
        ["Negative", "Mixed"], SECTIONS, {"Negative": "sarcasm", "Mixed": "mixed-reviews"}
    )
    assert got == {"Negative": ("sarcasm", "Sarcasm"), "Mixed": ("mixed-reviews", "Mixed reviews")}


def test_a_declared_anchor_that_is_missing_is_left_out_not_guessed() -> None:
    assert match_label_sections(["Negative"], SECTIONS, {"Negative": "gone"}) == {}


def test_undeclared_labels_still_take_an_exact_title() -> None:
    assert match_label_sections(["Negative", "Sarcasm"], SECTIONS, {"Sarcasm": "overview"}) == {
        "Negative": ("neg", "Negative"),
        "Sarcasm": ("overview", "Overview"),
    }
