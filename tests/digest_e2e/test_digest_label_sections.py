"""Issue 13 item 8 through the real path: the digest cites the section a guideline declares for a label.

Before, the section was guessed from the words: "Negative" has no section titled so here, and its stem
("negat") made the section on negation the one shown beside a Positive/Negative confusion.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.digest_e2e.values_support import digest_json, ok, write_csv
from tests.support.guidelines import write_guideline

RULES = """# Overview

Label the sentiment of each review.

## What counts as a complaint {#label-negative}

A review that reports a defect, a delay or a disappointment is Negative.

## What counts as praise {#label-positive}

A review whose judgments are favourable is Positive.

## Negation

Negated praise ("not great") is a complaint; negated criticism ("not bad") is mild praise.
"""
TOML = """slug = "senti"
title = "Sentiment"
version = "1.0.0"
labels = ["Positive", "Negative", "Neutral"]
scale = "nominal"
"""
T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)


def _rows() -> list[list[str]]:
    labels = ["Positive", "Negative", "Neutral"]
    rows = []
    for i in range(45):
        a = labels[i % 3]
        b = a if i < 30 else ("Negative" if a == "Positive" else "Positive" if a == "Negative" else a)
        ts = (T0 + timedelta(minutes=i)).isoformat()
        rows += [[f"it{i:03d}", "ann-1", a, ts], [f"it{i:03d}", "ann-2", b, ts]]
    return rows


def _digest(db_url: str, tmp: Path, toml: str) -> dict:
    folder = write_guideline(tmp, "senti", {"rules.md": RULES}, toml)
    ok(db_url, "guidelines", "publish", str(folder))
    ok(db_url, "projects", "add", "p", "--guideline", "senti")
    write_csv(tmp / "a.csv", ["item_id", "annotator", "label", "created_at"], _rows())
    ok(db_url, "import", "annotations", str(tmp / "a.csv"), "--project", "p")
    return digest_json(db_url, "p")


def test_the_declared_section_is_cited_beside_the_confusion(db_url: str, tmp_path: Path) -> None:
    toml = TOML + '\n[label_sections]\nPositive = "label-positive"\nNegative = "label-negative"\n'
    digest = _digest(db_url, tmp_path, toml)
    top = digest["confusions"][0]
    assert {top["label_a"], top["label_b"]} == {"Positive", "Negative"}
    cited = {s["anchor"]: s for s in digest["guideline"]["sections"]}
    assert set(cited) == {"label-positive", "label-negative"}
    assert cited["label-negative"]["title"] == "What counts as a complaint"
    assert cited["label-negative"]["version"] == "1.0.0"


def test_without_a_declaration_nothing_is_guessed(db_url: str, tmp_path: Path) -> None:
    digest = _digest(db_url, tmp_path, TOML)
    assert digest["confusions"], "the confusion is still reported"
    assert all(s["anchor"] != "negation" for s in digest["guideline"]["sections"])
    assert digest["guideline"]["sections"] == []
