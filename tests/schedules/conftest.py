"""Schedule store tests: a PostgreSQL-only engine for the races."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from bot.store.db import make_engine
from tests.conftest import _truncate_all


@pytest.fixture
def pg_engine(pg_url: str) -> Iterator[Engine]:
    """An engine on the emptied PostgreSQL test database (PostgreSQL only)."""
    _truncate_all(pg_url)
    eng = make_engine(pg_url, upgrade=False)
    yield eng
    eng.dispose()
