"""Fixtures of the flag statistics tests."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.store.db import make_engine
from tests.flag_stats.support import setup_project


@pytest.fixture
def sqlite_project(sqlite_template: Path, tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    """A SQLite database with project 'reviews' set up once (hypothesis examples reuse it)."""
    path = tmp_path / "annobot.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    setup_project(url, tmp_path, annotated_at=datetime.now(UTC))
    eng = make_engine(url)
    yield url, eng
    eng.dispose()
