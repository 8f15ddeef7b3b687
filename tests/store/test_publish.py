"""Publishing guideline versions into the store, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.errors import ConflictError, InputError
from bot.store import guidelines as store
from bot.store.db import session_scope
from guidelines.parse import load_guideline
from tests.conftest import row_counts
from tests.support.guidelines import MINI_RULES, mini


def _publish(engine: Engine, folder: Path) -> store.PublishResult:
    with session_scope(engine) as s:
        return store.publish(s, load_guideline(folder))


def test_publish_stores_version_sections_and_files(engine: Engine, tmp_path: Path) -> None:
    result = _publish(engine, mini(tmp_path))
    assert (result.status, result.guideline, result.version, result.sections) == (
        "published",
        "mini",
        "1.0.0",
        3,
    )
    with session_scope(engine) as s:
        row = store.get_version(s, "mini")
        assert row.version == "1.0.0" and row.is_current
        assert [x.anchor for x in row.sections] == ["overview", "sarcasm", "emoji"]
        assert row.sections[1].path == ["Overview", "Sarcasm"]
        assert row.sections[1].line == 5
        assert "[Sarcasm](#sarcasm)" in row.sections[0].body  # Markdown kept verbatim
        assert "#sarcasm" not in row.sections[0].plain  # but not indexed as text
        assert row.files[0].text == MINI_RULES
        assert row.labels == ["Positive", "Negative", "Neutral"]


def test_republishing_identical_content_is_a_noop(engine: Engine, tmp_path: Path) -> None:
    _publish(engine, mini(tmp_path))
    before = row_counts(engine)
    again = _publish(engine, mini(tmp_path, name="copy"))
    assert again.status == "unchanged"
    assert row_counts(engine) == before


def test_different_content_under_existing_version_is_refused(engine: Engine, tmp_path: Path) -> None:
    _publish(engine, mini(tmp_path))
    before = row_counts(engine)
    with pytest.raises(ConflictError, match=r"mini@1\.0\.0 is already published with different content"):
        _publish(engine, mini(tmp_path, rules=MINI_RULES + "\nMore.\n", name="edited"))
    assert row_counts(engine) == before


def test_new_version_becomes_current_and_old_stays_readable(engine: Engine, tmp_path: Path) -> None:
    _publish(engine, mini(tmp_path))
    res = _publish(engine, mini(tmp_path, "1.1.0", MINI_RULES.replace("decides nothing", "never decides")))
    assert res.previous == "1.0.0"
    with session_scope(engine) as s:
        assert store.get_version(s, "mini").version == "1.1.0"
        assert store.get_version(s, "mini", "1.0.0").is_current is False
        assert store.list_versions(s, "mini") == ["1.0.0", "1.1.0"]
        diff = store.diff_versions(s, "mini", "1.0.0", "1.1.0")
        assert diff.anchors() == ["emoji"] and diff.entries[0].kind == "changed"


@pytest.mark.parametrize("version", ["1.0.0", "0.9.0", "1.0.0-rc.1"])
def test_version_not_greater_than_latest_is_refused(engine: Engine, tmp_path: Path, version: str) -> None:
    _publish(engine, mini(tmp_path))
    before = row_counts(engine)
    rules = MINI_RULES + "\nChanged.\n"
    with pytest.raises(
        InputError,
        match=rf"version {version} is not greater than the latest published version 1\.0\.0|already published",
    ):
        _publish(engine, mini(tmp_path, version, rules, name=f"v{version}"))
    assert row_counts(engine) == before


def test_semver_ordering_not_lexical(engine: Engine, tmp_path: Path) -> None:
    _publish(engine, mini(tmp_path, "1.9.0"))
    _publish(engine, mini(tmp_path, "1.10.0", MINI_RULES + "\nTen.\n"))
    with session_scope(engine) as s:
        assert store.get_version(s, "mini").version == "1.10.0"
        assert store.list_versions(s, "mini") == ["1.9.0", "1.10.0"]
