"""Flag tests: a published mini guideline with project 'reviews', flag inputs, a PostgreSQL-only engine."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from bot.store.db import make_engine
from reports.flags.input import FlagInput, OtherLabel
from tests.conftest import _truncate_all
from tests.support.guidelines import mini, run_cli

BASE = FlagInput(
    project="reviews",
    item_id="item-1",
    filed_by="U100",
    my_label="Positive",
    other_labels=(OtherLabel("Negative", "annotator", "ann-7"), OtherLabel("Neutral", "model")),
    reason="guideline_unclear",
    guideline="mini",
    version="1.0.0",
    anchor="sarcasm",
    comment="looks sarcastic to me",
)


def flag_input(**changes: Any) -> FlagInput:
    """BASE with some fields changed."""
    return replace(BASE, **changes)


@pytest.fixture
def project(db_url: str, tmp_path: Path) -> str:
    """db_url with guideline 'mini' (Positive/Negative/Neutral) published and project 'reviews' added."""
    assert run_cli(db_url, "guidelines", "publish", str(mini(tmp_path))).exit_code == 0
    out = run_cli(db_url, "projects", "add", "reviews", "--guideline", "mini")
    assert out.exit_code == 0, out.output
    return db_url


@pytest.fixture
def pg_engine(pg_url: str) -> Iterator[Engine]:
    """An engine on the emptied PostgreSQL test database (for the concurrency tests, PostgreSQL only)."""
    _truncate_all(pg_url)
    eng = make_engine(pg_url)
    yield eng
    eng.dispose()
