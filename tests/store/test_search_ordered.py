"""Reading a one-stem query's postings best first chooses what summing every match chooses (issue 15 item 9).

bot/store/candidates.py `_ordered` stops reading once the cut is proven; `_exact` sums the postings of
every matching section. FULL_SCAN is lowered to 0 so that every query of the example guidelines
takes the postings path a 20,000-section corpus takes, and CANDIDATES to a few so that the cut, its
ties and the re-reads (excluded words) are exercised on a corpus this size.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from bot.store import candidates, search
from bot.store.db import session_scope
from bot.store.models.guidelines import GuidelineVersion
from guidelines.search.ranking import ParsedQuery
from tests.store.test_search_agreement import WORDS
from tests.store.test_search_agreement import _top as _answer

_word = st.sampled_from(WORDS)
_query = st.one_of(
    st.text(max_size=60),
    _word,
    st.tuples(_word, st.lists(_word, min_size=1, max_size=3)).map(
        lambda t: f"{t[0]} " + " ".join(f"-{w}" for w in t[1])
    ),
    st.tuples(_word, _word).map(lambda ws: f"is {ws[0]} {ws[1]}?"),
    st.sampled_from(["label", "the", "negative -positive", "label -label", "annotator -the", "sarcasm"]),
)


@pytest.mark.postgres
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=_query, limit=st.sampled_from([1, 3, 10, 100]), common=st.sampled_from([5, 1000]))
def test_best_first_gives_the_answer_and_total_of_the_full_sum_on_both_backends(
    stores: dict[str, Engine], query: str, limit: int, common: int
) -> None:
    # `common` low sends more queries down the titles-only plan, as common words do on a big corpus.
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(search, "FULL_SCAN", 0)
        mp.setattr(search, "CANDIDATES", limit)
        mp.setattr(search, "COMMON_DF", common)
        fast = [_answer(e, query) for e in stores.values()]
        fast_ctx = [
            _answer(e, query, context="product-sentiment", context_boost=1.5) for e in stores.values()
        ]
        # The reference: the one-statement sum over every match, for every query (not `_summed`, new too).
        mp.setattr(candidates, "_ordered", lambda *a, **k: None)
        mp.setattr(candidates, "_summed", candidates._exact)
        exact = [_answer(e, query) for e in stores.values()]
        exact_ctx = [
            _answer(e, query, context="product-sentiment", context_boost=1.5) for e in stores.values()
        ]
    assert fast == exact
    assert fast_ctx == exact_ctx
    assert fast[0] == fast[1]


def _versions(engine: Engine) -> list[int]:
    with session_scope(engine) as s:
        return list(s.scalars(select(GuidelineVersion.id).where(GuidelineVersion.is_current)))


@pytest.mark.postgres
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    word=_word,
    excluded=st.lists(_word, max_size=3),
    title_only=st.booleans(),
    limit=st.integers(1, 40),
    read=st.sampled_from([1, 4, 5000]),
)
def test_choose_best_first_equals_the_full_sum(
    stores: dict[str, Engine], word: str, excluded: list[str], title_only: bool, limit: int, read: int
) -> None:
    # MAX_READ low: the re-reads give up and the full sum answers; high: the re-reads go on to the end.
    plan = ParsedQuery(terms=(word,), excluded=tuple(excluded))
    for engine in stores.values():
        with session_scope(engine) as s:
            df = search._frequencies(s, plan)
            versions = _versions(engine)
            args = (s, plan, (), df, 1000, versions, title_only, limit)
            with pytest.MonkeyPatch.context() as mp:
                mp.setattr(candidates, "MAX_READ", read)
                fast = candidates.choose(*args)
                mp.setattr(candidates, "_ordered", lambda *a, **k: None)
                mp.setattr(candidates, "_summed", candidates._exact)
                exact = candidates.choose(*args)
        assert fast == exact, engine.dialect.name
