"""The guideline store's label -> section mapping (both backends), as the digest reads it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from bot.store.db import session_scope
from bot.store.guidelines import get_version, label_sections, meta_of, publish
from guidelines.parse import load_guideline
from tests.conftest import EXAMPLES
from tests.support.guidelines import MINI_RULES, MINI_TOML, mini, write_guideline


def test_labels_map_to_declared_sections_else_exact_titles(engine: Engine, tmp_path: Path) -> None:
    declared = MINI_TOML.format(version="1.1.0") + '\n[label_sections]\nNegative = "sarcasm"\n'
    with session_scope(engine) as session:
        publish(session, load_guideline(mini(tmp_path)))
        publish(
            session, load_guideline(write_guideline(tmp_path, "mini-d", {"rules.md": MINI_RULES}, declared))
        )
        for version in ("v1.0.0", "v1.1.0"):
            publish(session, load_guideline(EXAMPLES / "query-relevance" / version))
        publish(session, load_guideline(EXAMPLES / "product-sentiment" / "v1.1.0"))
    with session_scope(engine) as session:
        # 1.0.0 declares nothing and no section is titled a label: nothing is guessed from the body.
        assert label_sections(session, "mini", "1.0.0", ("Positive", "Negative", "Neutral")) == {}
        assert label_sections(session, "mini", "1.1.0", ("Positive", "Negative")) == {
            "Negative": ("sarcasm", "Sarcasm")
        }
        assert meta_of(get_version(session, "mini", "1.1.0")).label_sections == (("Negative", "sarcasm"),)
        grades = label_sections(session, "query-relevance", "1.0.0", ("3 - Relevant", "0 - Irrelevant"))
        assert grades == {
            "3 - Relevant": ("grade-3", "3 - Relevant"),
            "0 - Irrelevant": ("grade-0", "0 - Irrelevant"),
        }
        sentiment = label_sections(session, "product-sentiment", "1.1.0", ("Negative", "Mixed"))
        assert sentiment == {"Negative": ("negative", "Negative"), "Mixed": ("mixed", "Mixed")}
        assert label_sections(session, "product-sentiment", "9.9.9", ("Mixed",)) == {}


def test_every_example_declares_a_section_for_every_label() -> None:
    for folder in sorted(EXAMPLES.glob("*/v*")):
        meta = load_guideline(folder).meta
        assert [label for label, _ in meta.label_sections] == list(meta.labels), folder
