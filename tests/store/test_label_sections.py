"""The guideline store's label -> section mapping (both backends), as the digest reads it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from bot.store.db import session_scope
from bot.store.guidelines import label_sections, publish
from guidelines.parse import load_guideline
from tests.conftest import EXAMPLES
from tests.support.guidelines import mini


def test_labels_map_to_the_sections_that_name_them(engine: Engine, tmp_path: Path) -> None:
    with session_scope(engine) as session:
        publish(session, load_guideline(mini(tmp_path)))
        for version in ("v1.0.0", "v1.1.0"):
            publish(session, load_guideline(EXAMPLES / "query-relevance" / version))
        publish(session, load_guideline(EXAMPLES / "product-sentiment" / "v1.1.0"))
    with session_scope(engine) as session:
        # Only the sarcasm section's body mentions one of the labels.
        assert label_sections(session, "mini", "1.0.0", ("Positive", "Negative", "Neutral")) == {
            "Negative": ("sarcasm", "Sarcasm")
        }
        grades = label_sections(session, "query-relevance", "1.0.0", ("3 - Relevant", "0 - Irrelevant"))
        assert grades == {
            "3 - Relevant": ("grade-3", "3 - Relevant"),
            "0 - Irrelevant": ("grade-0", "0 - Irrelevant"),
        }
        sentiment = label_sections(session, "product-sentiment", "1.1.0", ("Negative", "Mixed"))
        assert sentiment == {"Negative": ("negative", "Negative"), "Mixed": ("mixed", "Mixed")}
        assert label_sections(session, "product-sentiment", "9.9.9", ("Mixed",)) == {}
