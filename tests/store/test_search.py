"""Full-text search: ranking, filters, hostile query text, and one contract on both backends."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from bot.store import guidelines as store
from bot.store import search as search_module
from bot.store.db import make_engine, session_scope
from bot.store.search import highlight, search_sections
from guidelines.model import HL_END, HL_START
from guidelines.parse import load_guideline
from guidelines.search.ranking import parse_query, to_fts5, to_websearch
from tests.conftest import EXAMPLES, _truncate_all
from tests.support.guidelines import MINI_RULES, mini, run_cli

HOSTILE_QUERIES = [
    '"',
    '"unterminated phrase',
    "AND OR NOT",
    "sarcasm AND",
    "* ** ***",
    "-",
    "--sarcasm",
    "(((sarcasm",
    "sarcasm)))",
    "NEAR(sarcasm emoji)",
    "title:sarcasm",
    "sarcasm^2 {emoji}",
    "'; DROP TABLE sections; --",
    "😀🎉 sarcasm 🙃",
    "\x00\x01 sarcasm",
    "ﾟ･✿ヾ╲(｡◕‿◕｡)╱✿･ﾟ",
    "a" * 2000,
    ("sarcasm " * 300)[:2000],
    " ".join(f'"w{i}" -x{i} (y{i}*)' for i in range(150))[:2000],
    "",
    "   ",
]


def _seed(engine: Engine, tmp_path: Path) -> None:
    with session_scope(engine) as s:
        store.publish(s, load_guideline(mini(tmp_path)))
        store.publish(
            s,
            load_guideline(mini(tmp_path, "1.1.0", MINI_RULES.replace("Sarcastic praise", "Ironic praise"))),
        )


def test_ranks_title_match_first_with_highlighted_snippet(engine: Engine, tmp_path: Path) -> None:
    _seed(engine, tmp_path)
    with session_scope(engine) as s:
        res = search_sections(s, "sarcasm")
    assert res.hits[0].anchor == "sarcasm"
    assert res.hits[0].version == "1.1.0" and res.hits[0].is_current
    assert res.hits[0].path == ("Overview", "Sarcasm")
    assert [h.score for h in res.hits] == sorted((h.score for h in res.hits), reverse=True)
    with session_scope(engine) as s:
        body = search_sections(s, "praise").hits[0]
    assert f"{HL_START}praise{HL_END}" in body.snippet


def test_pinned_version_and_guideline_filter(engine: Engine, tmp_path: Path) -> None:
    _seed(engine, tmp_path)
    with session_scope(engine) as s:
        old = search_sections(s, "sarcastic praise", version="1.0.0")
        assert old.hits and all(h.version == "1.0.0" and h.current_version == "1.1.0" for h in old.hits)
        assert not old.hits[0].is_current
        assert search_sections(s, "sarcasm", guideline="nope").hits == []


def test_excluded_words_and_phrases(engine: Engine, tmp_path: Path) -> None:
    _seed(engine, tmp_path)
    with session_scope(engine) as s:
        assert {h.anchor for h in search_sections(s, "sentiment emoji").hits} == {"overview", "emoji"}
        assert {h.anchor for h in search_sections(s, "sentiment emoji -review").hits} == {"emoji"}
        assert [h.anchor for h in search_sections(s, '"read the words"').hits] == ["emoji"]
        assert search_sections(s, '"words the read"').hits == []


@pytest.mark.parametrize("query", HOSTILE_QUERIES)
def test_any_query_text_returns_results_or_none(engine: Engine, tmp_path: Path, query: str) -> None:
    _seed(engine, tmp_path)
    with session_scope(engine) as s:
        res = search_sections(s, query, limit=10)
    assert isinstance(res.hits, list) and res.total >= len(res.hits)


SNIPPET_QUERIES = [
    *HOSTILE_QUERIES,
    "sarcasm",
    "praise -emoji",
    '"sarcastic praise"',
    "ironic OR sarcasm",
    "the",
]


def _later_equals_at_once(s, query: str) -> None:  # type: ignore[no-untyped-def]
    at_once = search_sections(s, query, limit=10)
    later = search_sections(s, query, limit=10, snippets=False)
    assert at_once.section_ids == () and len(later.section_ids) == len(later.hits)
    assert all(h.snippet == "" for h in later.hits)
    lit = highlight(s, later.query, later.hits, later.section_ids)
    assert replace(later, hits=lit, section_ids=()) == at_once, query
    # Any few of them, in any order (what fused.py shows): each gets its own snippet.
    some = list(zip(later.hits, later.section_ids, strict=True))[::-2]
    assert highlight(s, later.query, [h for h, _ in some], [i for _, i in some]) == at_once.hits[::-2]


@pytest.mark.parametrize("full_scan", [0, search_module.FULL_SCAN])  # 0: every query through the engine
def test_snippets_given_later_are_those_given_at_once(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, full_scan: int
) -> None:
    _seed(engine, tmp_path)
    monkeypatch.setattr(search_module, "FULL_SCAN", full_scan)
    with session_scope(engine) as s:
        highlighted = False
        for query in SNIPPET_QUERIES:
            _later_equals_at_once(s, query)
            highlighted |= any(HL_START in h.snippet for h in search_sections(s, query).hits)
    assert highlighted


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.text(max_size=200))
def test_any_query_text_gets_the_same_snippets_later(engine: Engine, tmp_path: Path, query: str) -> None:
    if not (tmp_path / "seeded").exists():
        _seed(engine, tmp_path)
        (tmp_path / "seeded").touch()
    with session_scope(engine) as s:
        _later_equals_at_once(s, query)


def test_query_parse_is_safe_for_both_engines() -> None:
    q = parse_query('Is "Sarcastic praise" -emoji OR négatif 😀 the')
    assert q.terms == ("négatif",) and q.phrases == (("sarcastic", "praise"),) and q.excluded == ("emoji",)
    assert to_fts5(q) == '("négatif" OR "sarcastic praise") NOT ("emoji")'
    assert to_websearch(q) == ('négatif or "sarcastic praise"', "emoji")
    assert parse_query("the and or").is_empty


def test_cli_search_json_contract(db_url: str, tmp_path: Path) -> None:
    assert run_cli(db_url, "guidelines", "publish", str(mini(tmp_path))).exit_code == 0
    out = run_cli(db_url, "guidelines", "search", "sarcasm", "--json")
    assert out.exit_code == 0, out.output
    hits = json.loads(out.output)
    assert hits[0]["anchor"] == "sarcasm"
    assert {"guideline", "version", "anchor", "title", "snippet", "score"} <= set(hits[0])


# --- the examples, on both backends -------------------------------------------------------------

EXAMPLE_DIRS = sorted(EXAMPLES.glob("*/v*")) if EXAMPLES.exists() else []
TOP3_QUERIES = ["sarcasm", "emoji", "governing law", "span boundary", "navigational query", "mixed review"]


def _publish_examples(url: str) -> Engine:
    engine = make_engine(url)
    with session_scope(engine) as s:
        for folder in EXAMPLE_DIRS:
            store.publish(s, load_guideline(folder))
    return engine


@pytest.mark.postgres
@pytest.mark.skipif(not EXAMPLE_DIRS, reason="examples/guidelines not present")
def test_examples_same_top3_on_sqlite_and_postgresql(
    pg_url: str, sqlite_template: Path, tmp_path: Path
) -> None:
    path = tmp_path / "x.db"
    shutil.copy(sqlite_template, path)
    _truncate_all(pg_url)
    engines = {"sqlite": _publish_examples(f"sqlite:///{path}"), "postgresql": _publish_examples(pg_url)}
    try:
        for query in TOP3_QUERIES:
            tops = {}
            for name, eng in engines.items():
                with session_scope(eng) as s:
                    tops[name] = [(h.guideline, h.anchor) for h in search_sections(s, query, limit=3).hits]
            assert tops["sqlite"] == tops["postgresql"], query
            if query == "sarcasm":
                assert tops["sqlite"][0] == ("product-sentiment", "sarcasm")
    finally:
        for eng in engines.values():
            eng.dispose()
