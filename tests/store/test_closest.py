"""Closest section titles for a query that matched nothing (both backends)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.store.closest import closest_sections
from bot.store.db import session_scope
from bot.store.guidelines import publish
from guidelines.parse import load_guideline
from guidelines.search import closest
from tests.support.guidelines import MINI_RULES, mini


def _publish(engine: Engine, folder: Path) -> None:
    with session_scope(engine) as session:
        publish(session, load_guideline(folder))


def _closest(engine: Engine, query: str) -> list[tuple[str, str, str, str]]:
    with session_scope(engine) as session:
        return closest_sections(session, query)


def test_a_typo_suggests_the_section(engine: Engine, tmp_path: Path) -> None:
    _publish(engine, mini(tmp_path))
    assert _closest(engine, "sarcsm")[0] == ("mini", "1.0.0", "sarcasm", "Sarcasm")
    assert _closest(engine, "zzzzqqqq") == []
    assert _closest(engine, "   ") == []


def test_a_new_version_is_seen_at_once(engine: Engine, tmp_path: Path) -> None:
    _publish(engine, mini(tmp_path))
    assert _closest(engine, "sarcsm")[0][1] == "1.0.0"  # cached now
    rules = MINI_RULES.replace("## Emoji", "## Irony {#irony}\n\nIrony is sarcasm's cousin.\n\n## Emoji")
    _publish(engine, mini(tmp_path, "1.1.0", rules))
    assert _closest(engine, "sarcsm")[0][:3] == ("mini", "1.1.0", "sarcasm")
    assert ("mini", "1.1.0", "irony", "Irony") in _closest(engine, "irny")


@pytest.mark.parametrize("limit", [2, 2000])
def test_large_corpora_narrow_by_near_words_first(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: int
) -> None:
    # With EXACT_SCAN_MAX below the corpus size the word index picks the candidates; the best
    # suggestion is the same as with a full scan.
    rules = MINI_RULES + "".join(f"\n## Topic number {i}\n\nText {i}.\n" for i in range(30))
    _publish(engine, mini(tmp_path, rules=rules))
    monkeypatch.setattr(closest, "EXACT_SCAN_MAX", limit)
    assert _closest(engine, "sarcsm")[0][2] == "sarcasm"
    assert _closest(engine, "topik numbr")[0][3].startswith("Topic number")
