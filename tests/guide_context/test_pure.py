"""The pure pieces: the context sort key, keeping another guideline in view, `SLUG: QUESTION`, places."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.jobs.guide import parse_guide_text
from bot.store.guide_context import Place
from guidelines.search.context import CONTEXT_BOOST, WHY, Assumed, boost_for
from guidelines.search.ranking import context_key, keep_one_other

SCORED = st.lists(st.tuples(st.floats(0, 50), st.booleans()), max_size=30)


@given(SCORED)
def test_partition_puts_every_context_section_first_in_score_order(items: list[tuple[float, bool]]) -> None:
    ranked = sorted(items, key=lambda x: context_key(x[0], x[1]))
    flags = [c for _s, c in ranked]
    assert flags == sorted(flags, reverse=True)  # all True before all False
    for part in (True, False):
        scores = [s for s, c in ranked if c is part]
        assert scores == sorted(scores, reverse=True)


@given(SCORED)
def test_without_context_both_modes_order_by_score(items: list[tuple[float, bool]]) -> None:
    plain = [(s, False) for s, _c in items]
    for boost in (None, 2.0):
        ranked = sorted(plain, key=lambda x: context_key(x[0], x[1], boost))
        assert [s for s, _ in ranked] == sorted((s for s, _ in plain), reverse=True)


def test_boost_multiplies_context_scores() -> None:
    items = [(3.0, False), (2.0, True), (1.0, True)]
    assert sorted(items, key=lambda x: context_key(x[0], x[1], 2.0)) == [
        (2.0, True),
        (3.0, False),
        (1.0, True),
    ]


@given(st.lists(st.booleans(), max_size=20), st.integers(1, 12))
def test_keep_one_other(flags: list[bool], limit: int) -> None:
    ranked = sorted(range(len(flags)), key=lambda i: not flags[i])  # context first, stable
    kept = keep_one_other(ranked, lambda i: flags[i], limit)
    assert len(kept) == min(limit, len(ranked))
    assert kept[: max(0, len(kept) - 1)] == ranked[: max(0, len(kept) - 1)]
    others_exist = any(not flags[i] for i in ranked)
    if limit >= 2 and others_exist and len(ranked) >= limit:
        assert any(not flags[i] for i in kept)


def test_named_guideline_syntax() -> None:
    req = parse_guide_text("contract-ner: dates @1.0.0")
    assert (req.named, req.named_query, req.version, req.query) == (
        "contract-ner",
        "dates",
        "1.0.0",
        "contract-ner: dates",
    )
    assert parse_guide_text("contract-ner:dates").named == ""  # no space: a word, not a name
    assert parse_guide_text("http://x: y").named == ""
    assert parse_guide_text("dates").named == ""


@given(st.text(max_size=60))
@settings(max_examples=300)
def test_any_text_parses_and_a_named_question_is_its_tail(text: str) -> None:
    req = parse_guide_text(text)
    if req.named:
        assert req.named_query and req.named_query in req.query and req.query.startswith(req.named)


@given(st.text(max_size=40), st.text(max_size=30))
def test_place_keeps_only_slack_shaped_ids(channel: str, thread: str) -> None:
    place = Place.of(channel, thread)
    assert place.channel in ("", channel) and place.thread_ts in ("", thread)
    assert len(place.channel) <= 32 and len(place.thread_ts) <= 25
    assert not place.thread_ts or place.channel


def test_a_named_guideline_comes_first_outright_a_guessed_one_is_weighted() -> None:
    named = Assumed("g", "G", "named")
    assert boost_for(named) is None
    for why in ("thread", "project", "dm"):
        assert boost_for(Assumed("g", "G", why)) == CONTEXT_BOOST > 1
    assert set(WHY) == {"named", "thread", "project", "dm"}
