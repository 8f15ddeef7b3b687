"""The feature extractor (guidelines/search/features.py): kept words and surface cues, pure."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from guidelines.search.features import (
    CUE_NAMES,
    features,
    kept_word_features,
    query_features,
    query_shape,
    section_terms,
    surface_cues,
)


def test_negation_keeps_the_negated_word() -> None:
    assert kept_word_features("Not bad for the price.") == ["¬bad"]
    assert kept_word_features("No complaints.") == ["¬complaint"]
    assert kept_word_features("It doesn't disappoint") == ["¬disappoint"]
    assert kept_word_features("not the worst") == ["¬worst"]
    assert kept_word_features("not as good as I hoped") == ["¬good"]
    assert kept_word_features("without a receipt") == ["¬receipt"]
    # A negation with nothing after it, or only fillers, keeps nothing.
    assert kept_word_features("not") == []
    assert kept_word_features("no, no") == []


def test_comparisons_are_one_feature_whatever_the_order_or_the_word() -> None:
    assert kept_word_features("neutral vs mixed") == ["~mix|neutral"]
    assert kept_word_features("Choosing between Neutral and Mixed") == ["~mix|neutral"]
    assert kept_word_features("mixed versus neutral") == ["~mix|neutral"]
    assert kept_word_features("4 or 3") == kept_word_features("3 versus 4") == ["~3|4"]
    assert kept_word_features("the or a") == []  # stop words on either side compare nothing


def test_quoted_stop_words_are_kept() -> None:
    assert kept_word_features('do I keep "the" in front of Company') == ["'the"]
    assert kept_word_features("keep 'a' or not") == ["'a"]
    assert kept_word_features('"Company"') == []  # a content word is searchable anyway


def test_surface_cues() -> None:
    assert surface_cues("interest at 1.5% per month") == ["percent"]
    assert set(surface_cues("invoice 20k EUR per quarter")) == {"currency", "scale"}
    assert set(surface_cues("($3,400)")) == {"currency", "accounting"}
    assert surface_cues("★★☆☆☆ It's a toaster.") == ["stars"]
    assert surface_cues("Bought 3 more for my team. 10/10") == ["stars"]
    assert surface_cues("💀💀💀") == ["emoji"]
    assert surface_cues("works :)") == ["emoji"]
    assert surface_cues("not bad tbh") == ["litotes"]
    assert "words-and-figures" in surface_cues("twenty-four (24) months")
    assert "duration" in surface_cues("twenty-four (24) months")
    assert surface_cues("the Agreement ends on 30 June 2027") == ["date"]
    assert surface_cues("call me on 0161 496 0000") == ["phone"]
    assert surface_cues("write to a.b@example.com") == ["email"]
    assert surface_cues("how do I label sarcasm") == []
    assert set(surface_cues("x")) <= set(CUE_NAMES)


def test_section_features_count_each_occurrence() -> None:
    assert features("10% or 20%").count("#percent") == 2
    assert features("🙄 and 🙃").count("#emoji") == 2
    assert "#e:🙄" in features("🙄 and 🙃")


def test_an_item_is_told_from_a_question() -> None:
    assert query_shape('"Great, it broke on day two."').looks_like_item
    assert query_shape("Lasted three days. Then it died.").looks_like_item  # more than a sentence
    assert query_shape("($3,400)").looks_like_item  # a cue and no question word
    assert query_shape("💀💀💀").looks_like_item
    assert not query_shape("how do I label a percentage?").looks_like_item
    assert not query_shape("sarcasm").looks_like_item
    # A question about percentages is matched on its words, not on a percentage cue.
    assert query_features("what about 5% discounts?")[0] == []
    assert "#percent" in query_features("Get it 50% cheaper at my store")[0]


def test_section_terms_are_stems_then_features() -> None:
    fields, distinct = section_terms("Negation", "Edge cases", '"Not bad." → Positive. 5% off')
    assert fields[0] == ["negat"]
    assert fields[1] == ["edg", "case"]
    assert fields[2][:3] == ["bad", "posit", "5"] and "¬bad" in fields[2] and "#percent" in fields[2]
    assert distinct == sorted(set(distinct)) and all(not d[0].isalnum() for d in distinct)
    assert all(" " not in t and "\t" not in t for f in fields for t in f)


@given(st.text(max_size=300))
def test_any_text_gives_features_without_whitespace(text: str) -> None:
    fields, distinct = section_terms(text, text, text)
    assert all(t and not any(c.isspace() for c in t) for f in fields for t in f)
    assert all(len(d) <= 100 for d in distinct)
    found, shape = query_features(text)
    assert len(found) == len(set(found))
    assert set(shape.cues) <= set(CUE_NAMES)


_VOCAB = st.sampled_from(["a", "b", "c", "sarcasm", "¬bad", "~mix|neutral", "#percent", "#e:🙄"])


@given(
    st.lists(st.lists(_VOCAB, max_size=12), min_size=3, max_size=3),
    st.lists(_VOCAB, max_size=5),
    st.dictionaries(_VOCAB, st.integers(1, 90)),
)
def test_bm25f_on_stored_text_is_bm25f_on_lists(fields: list[list[str]], query: list[str], df: dict) -> None:
    from guidelines.search.ranking import CorpusStats, bm25f, bm25f_text

    corpus = CorpusStats(100, (3.0, 2.0, 40.0))
    as_text = [" ".join(f) for f in fields]
    assert abs(bm25f(fields, query, df, corpus) - bm25f_text(as_text, query, df, corpus)) < 1e-9
