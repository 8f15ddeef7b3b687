"""The shipped examples, published through the CLI as a new user would, on both backends."""

from __future__ import annotations

import json

import pytest

from tests.conftest import EXAMPLES
from tests.support.guidelines import run_cli

EXPECTED = json.loads((EXAMPLES / "EXPECTED_DIFFS.json").read_text(encoding="utf-8"))
FOLDERS = sorted(str(p) for p in EXAMPLES.glob("*/v*"))


@pytest.fixture
def published(db_url: str) -> str:
    """A database with every example version published in one command."""
    result = run_cli(db_url, "guidelines", "publish", *FOLDERS)
    assert result.exit_code == 0, result.output
    assert result.output.count("published ") == 6
    return db_url


@pytest.mark.parametrize("slug", sorted(EXPECTED))
def test_diff_lists_exactly_the_changed_sections(published: str, slug: str) -> None:
    out = run_cli(published, "guidelines", "diff", slug, "1.0.0", "1.1.0", "--json")
    assert out.exit_code == 0, out.output
    entries = json.loads(out.output)["entries"]
    got = {kind: sorted(e["anchor"] for e in entries if e["kind"] == kind) for kind in EXPECTED[slug]}
    assert got == {kind: sorted(anchors) for kind, anchors in EXPECTED[slug].items()}
    assert len(entries) == sum(len(a) for a in EXPECTED[slug].values())  # nothing else listed


def test_sarcasm_ranks_the_sarcasm_section_first(published: str) -> None:
    hits = json.loads(run_cli(published, "guidelines", "search", "sarcasm", "--json").output)
    assert (hits[0]["guideline"], hits[0]["anchor"], hits[0]["version"]) == (
        "product-sentiment",
        "sarcasm",
        "1.1.0",
    )
    assert "sarcasm" in hits[0]["snippet"].lower()


def test_republishing_all_examples_is_a_noop(published: str) -> None:
    again = run_cli(published, "guidelines", "publish", *FOLDERS)
    assert again.exit_code == 0 and again.output.count("unchanged: ") == 6


def test_pinned_search_answers_from_the_old_version(published: str) -> None:
    hits = json.loads(
        run_cli(
            published, "guidelines", "search", "updates edited reviews", "--version", "1.0.0", "--json"
        ).output
    )
    # The section on edited reviews was removed in 1.1.0: only the pinned search finds it.
    assert hits[0]["anchor"] == "updates-and-edited-reviews" and hits[0]["current_version"] == "1.1.0"
    current = json.loads(
        run_cli(published, "guidelines", "search", "updates edited reviews", "--json").output
    )
    assert all(h["anchor"] != "updates-and-edited-reviews" for h in current)
