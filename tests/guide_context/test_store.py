"""The store side of the context: search with a context guideline, the last lookups (both backends)."""

from __future__ import annotations

from sqlalchemy import Engine

from bot.store.db import session_scope
from bot.store.guide_context import Place, assumed_guideline, channel_project
from bot.store.lookups import last_thread_guideline, last_user_guideline, record_lookup
from bot.store.search import search_sections
from tests.support.published import examples_published


def test_a_guideline_filter_is_kept_whatever_the_context(engine: Engine) -> None:
    examples_published(engine)
    with session_scope(engine) as s:
        hits = search_sections(
            s, "decision order", guideline="contract-ner", context="product-sentiment"
        ).hits
        assert hits and {h.guideline for h in hits} == {"contract-ner"}
        boosted = search_sections(s, "decision order", context="query-relevance", context_boost=1.5).hits
        assert boosted[0].guideline == "query-relevance"


def test_last_lookups_with_a_hit(engine: Engine) -> None:
    with session_scope(engine) as s:
        record_lookup(s, "U1", "a", "g1", "x", channel="C1", thread_ts="1.1")
        record_lookup(s, "U1", "b", None, None, channel="C1", thread_ts="1.1")  # no hit: skipped
        record_lookup(s, "U2", "c", "g2", "y", channel="C1", thread_ts="2.2")
    with session_scope(engine) as s:
        assert last_user_guideline(s, "U1") == "g1"
        assert last_user_guideline(s, "U3") is None
        assert last_thread_guideline(s, "C1", "1.1") == "g1"
        assert last_thread_guideline(s, "C1", "2.2") == "g2"
        assert last_thread_guideline(s, "C2", "1.1") is None


def test_unknown_guidelines_are_never_assumed(engine: Engine) -> None:
    examples_published(engine)
    with session_scope(engine) as s:
        record_lookup(s, "U1", "a", "gone", "x", channel="D1", thread_ts=None)
    with session_scope(engine) as s:
        projects = (("p", "not-published", ("CP1",)),)
        assert channel_project(s, "CP1", projects) == ("p", "not-published")
        assert assumed_guideline(s, user_id="U1", place=Place.of("CP1"), projects=projects) is None
        assert assumed_guideline(s, user_id="U1", place=Place.of("D1")) is None
        assert assumed_guideline(s, user_id="U1", place=Place.of("D1"), named="nope") is None
        named = assumed_guideline(s, user_id="U1", place=Place.of("D1"), named="CONTRACT-NER")
        assert named is not None and (named.slug, named.why) == ("contract-ner", "named")
