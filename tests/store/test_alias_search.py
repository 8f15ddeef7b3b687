"""Aliases are stored with the section version and found by search, alike on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, select, text

from bot.store import guidelines as store
from bot.store.db import alembic_config, session_scope, upgrade_to_head
from bot.store.models.guidelines import Section
from bot.store.search import search_sections
from guidelines.parse import load_guideline
from tests.conftest import EXAMPLES
from tests.support.guidelines import MINI_RULES, mini

ALIASED = MINI_RULES.replace(
    "## Sarcasm {#sarcasm}\n\n", "## Sarcasm {#sarcasm}\n\nAliases: snark, tongue in cheek\n\n"
)
EXAMPLE_DIRS = sorted(EXAMPLES.glob("*/v*")) if EXAMPLES.exists() else []


def test_aliases_are_stored_with_the_section_version(engine: Engine, tmp_path: Path) -> None:
    with session_scope(engine) as s:
        store.publish(s, load_guideline(mini(tmp_path)))
        store.publish(s, load_guideline(mini(tmp_path, "1.1.0", ALIASED)))
    with session_scope(engine) as s:
        _, old = store.get_section(s, "mini", "sarcasm", "1.0.0")
        _, new = store.get_section(s, "mini", "sarcasm", "1.1.0")
        assert (old.aliases, new.aliases) == ([], ["snark", "tongue in cheek"])
        assert new.alias_text == "snark\ntongue in cheek"
        assert "Aliases" not in new.body and "Aliases" not in new.plain
        diff = store.diff_versions(s, "mini", "1.0.0", "1.1.0")
    assert [(e.anchor, e.kind, e.aliases_added, e.unified_diff) for e in diff.entries] == [
        ("sarcasm", "changed", ("snark", "tongue in cheek"), "")
    ]


def test_an_alias_finds_its_section_first_and_the_hit_carries_the_aliases(
    engine: Engine, tmp_path: Path
) -> None:
    with session_scope(engine) as s:
        store.publish(s, load_guideline(mini(tmp_path)))
        store.publish(s, load_guideline(mini(tmp_path, "1.1.0", ALIASED)))
    with session_scope(engine) as s:
        hits = search_sections(s, "snark").hits
        phrase = search_sections(s, "is this tongue in cheek?").hits
        before = search_sections(s, "snark", version="1.0.0").hits
    assert [(h.anchor, h.version, h.aliases) for h in hits] == [
        ("sarcasm", "1.1.0", ("snark", "tongue in cheek"))
    ]
    assert phrase[0].anchor == "sarcasm"
    assert before == []  # the version without the alias does not know the word


# Words annotators use that the examples' newest versions declare as aliases, and the section each
# names. None of these words is in the section's title; most are nowhere in its text.
ALIAS_QUERIES = {
    "snark": ("product-sentiment", "sarcasm"),
    "swearing": ("product-sentiment", "profanity-and-strong-language"),
    "litotes": ("product-sentiment", "negation"),
    "googling": ("query-relevance", "how-to-research-a-query"),
    "copy-paste": ("query-relevance", "spam"),
    "typos": ("query-relevance", "misspelled-queries"),
    "NSFW": ("query-relevance", "adult-and-harmful-content"),
    "dead link": ("query-relevance", "broken-pages"),
    "censored": ("contract-ner", "redacted-text"),
    "choice of law": ("contract-ner", "law-vs-venue"),
}


@pytest.mark.skipif(not EXAMPLE_DIRS, reason="examples/guidelines not present")
def test_alias_words_rank_the_aliased_example_section_first(engine: Engine) -> None:
    with session_scope(engine) as s:
        for folder in EXAMPLE_DIRS:
            store.publish(s, load_guideline(folder))
    firsts, before = {}, {}
    with session_scope(engine) as s:
        for query in ALIAS_QUERIES:
            hits = search_sections(s, query, limit=3).hits
            firsts[query] = (hits[0].guideline, hits[0].anchor) if hits else None
            old = search_sections(s, query, version="1.0.0", limit=1).hits
            before[query] = (old[0].guideline, old[0].anchor) if old else None
    assert firsts == ALIAS_QUERIES
    # Without the aliases (v1.0.0) most of these words found another section or nothing: the aliases
    # are what put the right section first.
    assert sum(before[q] != ALIAS_QUERIES[q] for q in ALIAS_QUERIES) >= 7, before


def test_migration_keeps_searching_sections_stored_before_it(engine: Engine, tmp_path: Path) -> None:
    with session_scope(engine) as s:
        store.publish(s, load_guideline(mini(tmp_path, "1.1.0", ALIASED)))
    cfg = alembic_config(engine)
    command.downgrade(cfg, "0013")
    with engine.connect() as conn:
        stems = conn.execute(text("SELECT stems FROM sections ORDER BY position")).scalars().all()
    assert all(s.count("\t") == 2 for s in stems)  # back to title, path, body
    upgrade_to_head(engine)
    with session_scope(engine) as s:
        rows = s.execute(select(Section.aliases, Section.alias_text, Section.stems)).all()
        assert all(r.aliases == [] and r.alias_text == "" and r.stems.count("\t") == 3 for r in rows)
        # The rebuilt index finds the old rows; the alias went with the downgrade.
        assert [h.anchor for h in search_sections(s, "sarcastic praise").hits][:1] == ["sarcasm"]
        assert search_sections(s, "snark").hits == []
