"""Aliases through the real CLI: any alias text publishes (exit 0, stored) or is refused (exit 2, file and
line, nothing stored); `show`, `search` and `diff` display them."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from guidelines.parse import load_guideline
from tests.conftest import row_counts
from tests.support.guidelines import mini, run_cli

# The Sarcasm section gets the aliases under test; the Emoji section already has one.
RULES = """# Overview

Label the overall sentiment of the review. See [Sarcasm](#sarcasm).

## Sarcasm {{#sarcasm}}

Aliases: {aliases}

Sarcastic praise such as "great, it broke in a day" is **Negative**.

## Emoji

Aliases: emoticons

An emoji alone decides nothing; read the words.
"""
ALIAS_LINE, EMOJI_ALIAS_LINE = 7, 13
OTHER_TITLES = {"overview", "emoji"}
_versions = itertools.count(1)


def _publish(db_url: str, root: Path, aliases: str) -> tuple[str, Path, object]:
    version = f"1.0.{next(_versions)}"
    folder = mini(root, version, RULES.format(aliases=aliases), name=f"v{version}")
    return version, folder, run_cli(db_url, "guidelines", "publish", str(folder))


def _stored_aliases(db_url: str, version: str) -> list[str]:
    out = run_cli(db_url, "guidelines", "show", f"mini@{version}", "sarcasm", "--json")
    assert out.exit_code == 0, out.output
    return json.loads(out.output)["aliases"]


def _expected(pieces: list[str]) -> tuple[list[str] | None, int]:
    """The aliases comma-separated pieces declare, or None and the line reported when refused."""
    aliases = [" ".join(p.split()) for p in pieces]
    keys = [a.casefold() for a in aliases]
    alone = (
        all(aliases)
        and all(len(a) <= 60 and any(c.isalnum() for c in a) for a in aliases)
        and len(set(keys)) == len(keys)
        and "sarcasm" not in keys
        and len(aliases) <= 10
    )
    if not alone or set(keys) & OTHER_TITLES:
        return None, ALIAS_LINE
    if "emoticons" in keys:
        # Sarcasm comes first in the document: the Emoji section's copy is the one refused.
        return None, EMOJI_ALIAS_LINE
    return aliases, ALIAS_LINE


_CHARS = st.one_of(
    st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters=","), st.sampled_from(" \t")
)
# A piece between commas: random text, words that collide with the rules, or both run together.
PIECE = st.lists(
    st.one_of(
        st.text(alphabet=_CHARS, max_size=30), st.sampled_from(["snark", "Sarcasm", "emoji", "EMOTICONS"])
    ),
    max_size=3,
).map("".join)
PIECES = st.lists(
    st.one_of(PIECE, st.sampled_from(["snark", "Snark ", "", "x" * 61, "🎉"])), min_size=1, max_size=12
)
SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(pieces=PIECES)
def test_alias_lists_publish_exactly_when_the_rules_allow(
    db_url: str, engine: Engine, tmp_path_factory: pytest.TempPathFactory, pieces: list[str]
) -> None:
    before = row_counts(engine)
    version, folder, result = _publish(db_url, tmp_path_factory.mktemp("a"), ",".join(pieces))
    assert "Traceback" not in result.output
    expected, line = _expected(pieces)
    if expected is None:
        assert result.exit_code == 2, (pieces, result.output)
        assert result.output.startswith(f"Error: {folder / 'rules.md'}:{line}: "), result.output
        assert row_counts(engine) == before
    else:
        assert result.exit_code == 0, (pieces, result.output)
        assert _stored_aliases(db_url, version) == expected


ANY_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200)
_ERROR = re.compile(r"Error: (.+):(\d+): ")


@SETTINGS
@given(aliases=ANY_TEXT)
def test_any_alias_text_publishes_or_is_refused_with_file_and_line(
    db_url: str, engine: Engine, tmp_path_factory: pytest.TempPathFactory, aliases: str
) -> None:
    before = row_counts(engine)
    version, folder, result = _publish(db_url, tmp_path_factory.mktemp("b"), aliases)
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 2), result.output
    if result.exit_code == 2:
        match = _ERROR.match(result.output)
        assert match and match.group(1) == str(folder / "rules.md"), result.output
        assert row_counts(engine) == before
    else:
        assert _stored_aliases(db_url, version) == list(load_guideline(folder).section("sarcasm").aliases)
        assert row_counts(engine) != before


def test_show_search_and_diff_display_aliases(db_url: str, tmp_path: Path) -> None:
    one = mini(tmp_path, "1.0.0", RULES.format(aliases="snark, <b>irony</b>"))
    two = mini(tmp_path, "1.1.0", RULES.format(aliases="snark, sarcastic praise"))
    assert run_cli(db_url, "guidelines", "publish", str(one), str(two)).exit_code == 0
    shown = run_cli(db_url, "guidelines", "show", "mini", "sarcasm").output
    assert shown.startswith("## Sarcasm\n\nAliases: snark, sarcastic praise\n\nSarcastic praise")
    whole = json.loads(run_cli(db_url, "guidelines", "show", "mini@1.0.0", "--json").output)
    assert whole["aliases"] == {"sarcasm": ["snark", "<b>irony</b>"], "emoji": ["emoticons"]}
    hits = json.loads(run_cli(db_url, "guidelines", "search", "snark", "--json").output)
    assert (hits[0]["anchor"], hits[0]["aliases"]) == ("sarcasm", ["snark", "sarcastic praise"])
    assert "also called: snark, sarcastic praise" in run_cli(db_url, "guidelines", "search", "snark").output
    diff = run_cli(db_url, "guidelines", "diff", "mini", "1.0.0", "1.1.0")
    assert "changed  #sarcasm  Sarcasm\naliases: +sarcastic praise, -<b>irony</b>" in diff.output
    as_json = run_cli(db_url, "guidelines", "diff", "mini", "1.0.0", "1.1.0", "--json")
    [entry] = json.loads(as_json.output)["entries"]
    assert (entry["aliases_added"], entry["aliases_removed"]) == (["sarcastic praise"], ["<b>irony</b>"])
