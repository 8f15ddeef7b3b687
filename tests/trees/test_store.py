"""Trees published with their version and read back exactly, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.errors import NotFoundError
from bot.store import guidelines as store
from bot.store import trees as tree_store
from bot.store.db import session_scope
from guidelines.parse import load_guideline
from guidelines.trees.canonical import tree_from_json, tree_to_json
from tests.conftest import EXAMPLES, row_counts
from tests.support.guidelines import run_cli
from tests.trees.treedata import VALID, write_version

FOLDERS = sorted(EXAMPLES.glob("*/v*"))


@pytest.fixture
def published(engine: Engine, db_url: str) -> Engine:
    """Every example version published through the CLI."""
    result = run_cli(db_url, "guidelines", "publish", *map(str, FOLDERS))
    assert result.exit_code == 0, result.output
    assert (
        "published product-sentiment@1.1.0 (33 sections, 2 decision trees, previous 1.0.0)" in result.output
    )
    return engine


def test_every_published_tree_reads_back_equal_to_the_loaded_one(published: Engine) -> None:
    with session_scope(published) as session:
        for folder in FOLDERS:
            doc = load_guideline(folder)
            assert doc.trees
            for tree in doc.trees:
                got = tree_store.get_tree(session, doc.meta.slug, tree.id, doc.meta.version)
                assert got == tree
                assert (got.slug, got.version, got.file) == (doc.meta.slug, doc.meta.version, tree.file)
                assert [n.line for n in got.nodes] == [n.line for n in tree.nodes]
                assert tree_store.tree_source(session, doc.meta.slug, tree.id, doc.meta.version) == next(
                    f.text for f in doc.tree_files if f.path == tree.file
                )


def test_list_trees_gives_the_current_versions(published: Engine) -> None:
    with session_scope(published) as session:
        every = tree_store.list_trees(session)
        one = tree_store.list_trees(session, "product-sentiment")
    assert [(t.ref, t.version) for t in every] == [
        ("contract-ner/span-boundaries", "1.1.0"),
        ("product-sentiment/mixed-sentiment", "1.1.0"),
        ("product-sentiment/sarcasm", "1.1.0"),
        ("query-relevance/relevance-grade", "1.1.0"),
    ]
    assert [t.id for t in one] == ["mixed-sentiment", "sarcasm"]


def test_get_tree_defaults_to_current_and_explains_what_is_missing(published: Engine) -> None:
    with session_scope(published) as session:
        assert tree_store.get_tree(session, "product-sentiment", "sarcasm").version == "1.1.0"
        assert tree_store.get_tree(session, "product-sentiment", "sarcasm", "1.0.0").version == "1.0.0"
        with pytest.raises(
            NotFoundError,
            match=r"product-sentiment@1\.1\.0 has no tree 'irony' \(trees: "
            r"product-sentiment/mixed-sentiment, product-sentiment/sarcasm\)",
        ):
            tree_store.get_tree(session, "product-sentiment", "irony")
        with pytest.raises(NotFoundError, match="no guideline 'nope'"):
            tree_store.get_tree(session, "nope", "sarcasm")
        with pytest.raises(NotFoundError, match=r"has no version 9\.9\.9"):
            tree_store.get_tree(session, "product-sentiment", "sarcasm", "9.9.9")


def test_trees_citing_a_section(published: Engine) -> None:
    with session_scope(published) as session:
        cite = tree_store.trees_citing(session, "product-sentiment", "1.1.0", "mixed-reviews")
        intent_old = tree_store.trees_citing(session, "product-sentiment", "1.0.0", "purchase-intent")
        intent_new = tree_store.trees_citing(session, "product-sentiment", "1.1.0", "purchase-intent")
        none = tree_store.trees_citing(session, "product-sentiment", "1.1.0", "profanity-and-strong-language")
    assert [t.id for t in cite] == ["mixed-sentiment", "sarcasm"]
    assert intent_old == []
    assert [t.id for t in intent_new] == ["mixed-sentiment", "sarcasm"]
    assert none == []


def test_tree_versions(published: Engine) -> None:
    with session_scope(published) as session:
        assert tree_store.tree_versions(session, "query-relevance", "relevance-grade") == ["1.0.0", "1.1.0"]
        assert tree_store.tree_versions(session, "query-relevance", "sarcasm") == []
        with pytest.raises(NotFoundError):
            tree_store.tree_versions(session, "nope", "sarcasm")


def test_a_version_without_trees_stores_none(engine: Engine, db_url: str, tmp_path: Path) -> None:
    from tests.support.guidelines import mini

    assert run_cli(db_url, "guidelines", "publish", str(mini(tmp_path))).exit_code == 0
    counts = row_counts(engine)
    assert counts["decision_trees"] == 0 and counts["guideline_versions"] == 1
    with session_scope(engine) as session:
        assert tree_store.list_trees(session) == []
        with pytest.raises(NotFoundError, match="it has no decision trees"):
            tree_store.get_tree(session, "mini", "sarcasm")


def test_republishing_identical_trees_is_a_no_op_and_a_changed_tree_conflicts(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    folder = write_version(tmp_path, {"t.yaml": VALID})
    first = run_cli(db_url, "guidelines", "publish", str(folder))
    assert first.exit_code == 0 and "1 decision tree" in first.output
    again = run_cli(db_url, "guidelines", "publish", str(folder))
    assert again.exit_code == 0 and "unchanged" in again.output
    before = row_counts(engine)
    (folder / "trees" / "t.yaml").write_text(
        VALID.replace("No judgment.", "Nothing to judge."), encoding="utf-8"
    )
    changed = run_cli(db_url, "guidelines", "publish", str(folder))
    assert changed.exit_code != 0 and "already published with different content" in changed.output
    assert row_counts(engine) == before


def test_publish_stores_trees_in_the_same_transaction(engine: Engine, tmp_path: Path) -> None:
    doc = load_guideline(write_version(tmp_path, {"t.yaml": VALID}))
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        store.publish(session, doc)
        raise RuntimeError("roll back")
    assert row_counts(engine)["decision_trees"] == 0


def test_canonical_json_round_trips_exactly() -> None:
    for folder in FOLDERS:
        for tree in load_guideline(folder).trees:
            assert tree_from_json(tree_to_json(tree), slug=tree.slug, version=tree.version) == tree
