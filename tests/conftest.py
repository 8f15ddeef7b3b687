"""Shared fixtures: every store test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.exc import OperationalError

from bot.store.db import make_engine, upgrade_to_head
from bot.store.schema import metadata as ALL_TABLES

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "guidelines"
PG_SERVER = os.environ.get("ANNOBOT_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating per test would be slow)."""
    path = tmp_path_factory.mktemp("tpl") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test run; mandatory when CI=true."""
    admin = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        admin.dispose()
        reason = f"PostgreSQL not reachable at {PG_SERVER} ({type(exc).__name__}); set ANNOBOT_TEST_PG"
        if IN_CI:
            pytest.fail(f"CI=true and {reason}", pytrace=False)
        pytest.skip(reason)
    name = f"annobot_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_SERVER.rsplit("/", 1)[0] + "/" + name
    engine = make_engine(url)
    upgrade_to_head(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


# The tables owning a sequence that has handed out a value since it was last reset: a test that inserted
# and deleted (or rolled back) leaves its table empty but its ids moved on.
_SEQUENCES_USED = text(
    """
    SELECT DISTINCT t.relname
    FROM pg_class s
    JOIN pg_namespace n ON n.oid = s.relnamespace
    JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.oid
        AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
    JOIN pg_class t ON t.oid = d.refobjid
    WHERE s.relkind = 'S' AND n.nspname = current_schema()
        -- CASE: the planner may test a WHERE condition on other relations first, which the function refuses.
        AND CASE WHEN s.relkind = 'S' THEN pg_sequence_last_value(s.oid) END IS NOT NULL
    """
)


def _truncate_all(url: str) -> None:
    """Every table empty and every id sequence restarted, as after the migrations.

    Only the tables a test wrote to (rows left, or a sequence used) are truncated: TRUNCATE makes new
    files for a table and its indexes, so truncating all of them cost 0.5-0.7 s per PostgreSQL test,
    the few a test touches about 0.1-0.2 s.
    """
    engine = make_engine(url)
    names = [t.name for t in ALL_TABLES.sorted_tables]
    with engine.begin() as conn:
        filled = conn.execute(
            text("SELECT " + ", ".join(f'EXISTS (SELECT 1 FROM "{t}")' for t in names))
        ).one()
        dirty = {t for t, full in zip(names, filled, strict=True) if full}
        dirty |= set(conn.execute(_SEQUENCES_USED).scalars()) & set(names)
        if dirty:
            tables = ", ".join(f'"{t}"' for t in names if t in dirty)
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty, migrated database URL on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "annobot.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("pg_url")
    _truncate_all(url)
    return url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on the test database, disposed afterwards."""
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows per table: tests compare these before and after a refused action."""
    with engine.connect() as conn:
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in ALL_TABLES.sorted_tables
        }
