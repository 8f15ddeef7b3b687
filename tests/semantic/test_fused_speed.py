"""The fused lookup's speed-ups change no answer (issue 15 item 9), on both backends, with the real encoder.

`fused_search` asks search_sections for its candidates without snippets and highlights only the hits
it shows, and embeds the query on a thread while the lexical SQL runs; the answer must be the one of
the sequential path that highlights every candidate (search_sections, then fuse_semantic).
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from sqlalchemy import Engine

from bot.semantic import background, encoder
from bot.store import fused
from bot.store.db import session_scope
from bot.store.fused import fuse_semantic, fused_search, lexical_depth, query_vector
from bot.store.search import CANDIDATES, search_sections
from guidelines.model import HL_START
from guidelines.search.context import CONTEXT_BOOST
from guidelines.search.fusion import ALONE_COSINE, MIN_COSINE
from tests.support.published import examples_published

_REASON = encoder.why_unavailable()
if _REASON is not None and os.environ.get("CI") == "true":
    raise RuntimeError(f"CI=true but {_REASON}")
pytestmark = pytest.mark.skipif(_REASON is not None, reason=_REASON or "")

QUERIES = [
    "half good half bad, what do I pick",  # found by meaning: semantic-only hits among the shown
    "sarcasm",
    "mixed reviews -neutral",
    '"customer support" refund',
    "what about emoji and irony?",
    "contract party names",
    "xyzzy qwertyuiop",
    "the a of",
    "",
    "   ",
    '"',
    "-sarcasm",
]
CONTEXTS = [(None, None), ("product-sentiment", None), ("contract-ner", CONTEXT_BOOST)]


@pytest.fixture
def published(engine: Engine) -> Engine:
    """The examples published (copied from this process's first publish: these tests search them)."""
    examples_published(engine)
    return engine


def _sequential(s, query: str, limit: int, context: str | None, boost: float | None, on: bool | None):  # type: ignore[no-untyped-def]
    """The lookup as it was before the speed-ups: every candidate highlighted, the query embedded after."""
    depth = lexical_depth(limit) if on is not False else limit
    lexical = search_sections(s, query, limit=depth, context=context, context_boost=boost)
    return fuse_semantic(s, query, lexical, limit=limit, semantic_on=on, context=context, context_boost=boost)


@pytest.mark.parametrize("on", [None, True, False])
def test_fused_lookup_equals_the_sequential_one_snippets_included(published: Engine, on: bool | None) -> None:
    seen_semantic_only = seen_highlighted = False
    with session_scope(published) as s:
        for query in QUERIES:
            for context, boost in CONTEXTS:
                for limit in (1, 5, 12):
                    query_vector.cache_clear()  # each path embeds for itself
                    fast = fused_search(
                        s, query, limit=limit, semantic_on=on, context=context, context_boost=boost
                    )
                    query_vector.cache_clear()
                    slow = _sequential(s, query, limit, context, boost, on)
                    assert fast == slow, (query, context, limit)
                    lexical = {
                        (h.guideline, h.version, h.anchor)
                        for h in search_sections(s, query, limit=CANDIDATES, context=context).hits
                    }
                    seen_semantic_only |= any(
                        (h.guideline, h.version, h.anchor) not in lexical for h in fast.hits
                    )
                    seen_highlighted |= any(HL_START in h.snippet for h in fast.hits)
    assert seen_highlighted
    assert seen_semantic_only == (on is not False)  # both kinds of hit were compared


def test_the_shown_hits_snippets_are_those_search_sections_gives(published: Engine) -> None:
    # Highlighted after fusion, for the shown hits only: the same text as highlighting all candidates.
    with session_scope(published) as s:
        for query in QUERIES:
            full = {
                (h.guideline, h.version, h.anchor): h.snippet
                for h in search_sections(s, query, limit=CANDIDATES).hits
            }
            for h in fused_search(s, query, limit=5, semantic_on=True).hits:
                key = (h.guideline, h.version, h.anchor)
                if key in full:
                    assert h.snippet == full[key]
                else:  # found by meaning only: the start of its text, unhighlighted
                    assert h.snippet and HL_START not in h.snippet


def test_the_embedding_on_a_thread_is_the_sequential_one() -> None:
    fingerprint = encoder.load_encoder().fingerprint
    texts = ["half good half bad, what do I pick", "sarcasm", "😀 emoji", "x" * 3000, "a b c d " * 80]
    alone = []
    for t in texts:
        query_vector.cache_clear()
        alone.append(query_vector(fingerprint, t).copy())
    query_vector.cache_clear()
    # Two start on the pool at once, the rest run on this thread when asked (the pool is full).
    waits = [background.soon(lambda t=t: query_vector(fingerprint, t)) for t in texts]
    for t, wait, expected in zip(texts, waits, alone, strict=True):
        got = wait()
        assert np.array_equal(got, expected), t
        assert not got.flags.writeable and got is query_vector(fingerprint, t)  # the LRU's vector


def test_the_nearest_sections_on_a_thread_are_the_sequential_ones(published: Engine) -> None:
    with session_scope(published) as s:
        for query in QUERIES:
            for floor in (-1.0, MIN_COSINE, ALONE_COSINE, 0.6):
                query_vector.cache_clear()
                sequential = fused.semantic_ranking(s, query, floor=floor)
                query_vector.cache_clear()
                meaning = fused._meaning(s, query, None, None, soon=True)
                assert fused._nearest(meaning, floor) == sequential, (query, floor)
                if query.strip() and floor == MIN_COSINE:
                    assert sequential


def test_concurrent_lookups_give_the_sequential_answers(published: Engine) -> None:
    # Bolt runs lookups on after-ack threads: several at once share the pool and the LRU.
    def lookup(query: str) -> list:
        with session_scope(published) as s:
            return fused_search(s, query, limit=5, semantic_on=True).hits

    query_vector.cache_clear()
    expected = {q: lookup(q) for q in QUERIES}
    query_vector.cache_clear()
    with ThreadPoolExecutor(max_workers=4) as lookups:
        got = list(lookups.map(lookup, QUERIES * 3))
    assert got == [expected[q] for q in QUERIES * 3]


def test_an_embedding_error_reaches_the_lookup_and_frees_its_thread(
    published: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(enc: encoder.Encoder, texts, batch_size: int = encoder.BATCH_SIZE):  # type: ignore[no-untyped-def]
        raise RuntimeError("encoder broke")

    monkeypatch.setattr(encoder.Encoder, "encode", broken)
    for _ in range(background.THREADS + 1):
        query_vector.cache_clear()
        with session_scope(published) as s, pytest.raises(RuntimeError, match="encoder broke"):
            fused_search(s, "sarcasm", limit=5, semantic_on=True)
    monkeypatch.undo()
    _, slots = background._threads()
    taken = [slots.acquire(blocking=False) for _ in range(background.THREADS)]
    assert all(taken)  # every slot came back
    for _ in taken:
        slots.release()


def test_the_pool_is_made_on_first_use_and_anew_after_a_fork(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(background, "_pool", None)
    executor, _ = background._threads()
    assert background._threads()[0] is executor
    monkeypatch.setattr(os, "getpid", lambda: -1)  # as in a forked child: the parent's threads are gone
    child, _ = background._threads()
    assert child is not executor
    fingerprint = encoder.load_encoder().fingerprint
    assert background.soon(lambda: query_vector(fingerprint, "sarcasm"))().shape == (encoder.DIMENSIONS,)
    monkeypatch.undo()
    child.shutdown()
    executor.shutdown()


def test_importing_the_module_starts_no_thread() -> None:
    code = (
        "import threading, bot.store.fused, bot.semantic.background as b; "
        "assert b._pool is None and threading.active_count() == 1, threading.enumerate()"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
