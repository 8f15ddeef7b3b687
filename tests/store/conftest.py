"""Fixtures shared by the store tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine


@pytest.fixture(scope="module")
def stores(pg_url: str) -> Iterator[dict[str, Engine]]:
    """SQLite and PostgreSQL, each with the examples published (pg_url: skipped without PostgreSQL)."""
    from bench.lookup_quality import PG_SERVER, postgres_store, sqlite_store

    with sqlite_store() as lite, postgres_store(PG_SERVER) as pg:
        yield {"sqlite": lite, "postgresql": pg}
