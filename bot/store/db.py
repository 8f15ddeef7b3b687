"""Engines, sessions and schema upgrades for SQLite and PostgreSQL."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.errors import StoreError

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

MIGRATIONS = Path(__file__).parent / "migrations"
# Alembic's default version table (migrations/env.py does not rename it).
VERSION_TABLE = "alembic_version"
_CURRENT_REVISION = text("SELECT version_num FROM alembic_version")
_REVISION_LINE = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(.+)$", re.MULTILINE)


class SchemaNotCurrentError(StoreError):
    """The database schema is behind (or ahead of) this annobot: the user must run `annobot db upgrade`."""

    exit_code = 2


def is_sqlite(engine_or_url: Engine | str) -> bool:
    """True for the embedded SQLite backend."""
    url = engine_or_url.url if isinstance(engine_or_url, Engine) else make_url(engine_or_url)
    return url.get_backend_name() == "sqlite"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # WAL lets readers (the bot) run while a writer (an import) works; busy_timeout rides out
    # short write locks instead of failing at once.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def make_engine(url: str, *, upgrade: bool = True) -> Engine:
    """Create an engine; a SQLite database is created and migrated to head on first use."""
    if is_sqlite(url):
        db_path = make_url(url).database
        if db_path and db_path != ":memory:":
            Path(db_path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        if upgrade and not is_at_head(engine):
            _refuse_unknown_revision(current_revision(engine))
            upgrade_to_head(engine)
    else:
        engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    return engine


def alembic_config(engine: Engine) -> AlembicConfig:
    """An Alembic config bound to this engine, independent of the current directory."""
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade_to_head(engine: Engine) -> None:
    """Apply every pending migration."""
    from alembic import command

    command.upgrade(alembic_config(engine), "head")


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    # Read the version table directly rather than through Alembic's MigrationContext: importing
    # Alembic costs a tenth of a second on every command, and the history is linear (one row).
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table(VERSION_TABLE):
                return None
            rows = list(conn.execute(_CURRENT_REVISION).scalars())
    except OperationalError as exc:
        raise StoreError(f"cannot open database {engine.url.render_as_string()}: {exc.orig}") from exc
    if len(rows) > 1:
        raise StoreError(f"database has several schema revisions ({', '.join(sorted(rows))}): expected one")
    return rows[0] if rows else None


def head_revision() -> str:
    """The newest revision shipped with this version of annobot."""
    return _shipped_revisions()[1]


@cache
def _shipped_revisions() -> tuple[frozenset[str], str]:
    """(every shipped revision id, the head)."""
    # The revision files are read as text, not imported through Alembic (see current_revision);
    # tests/cli/test_startup.py checks the head equals Alembic's own.
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        found = dict(_REVISION_LINE.findall(path.read_text(encoding="utf-8")))
        if "revision" not in found:
            continue
        revisions.add(ast.literal_eval(found["revision"]))
        parent = ast.literal_eval(found.get("down_revision", "None"))
        parents.update([parent] if isinstance(parent, str) else parent or ())
    heads = revisions - parents
    head = heads.pop() if len(heads) == 1 else _alembic_head_revision()
    return frozenset(revisions), head


def _alembic_head_revision() -> str:
    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    assert head is not None
    return head


def is_at_head(engine: Engine) -> bool:
    """True when no migration is pending."""
    return current_revision(engine) == head_revision()


def require_head(engine: Engine) -> None:
    """Refuse to run against a database whose schema is not current (PostgreSQL is never auto-migrated)."""
    rev = current_revision(engine)
    head = head_revision()
    if rev == head:
        return
    _refuse_unknown_revision(rev)
    state = "empty" if rev is None else f"at revision {rev}"
    raise SchemaNotCurrentError(f"database is {state}, expected {head}: run 'annobot db upgrade'")


def _refuse_unknown_revision(rev: str | None) -> None:
    """A revision this annobot does not ship was written by a newer one: migrating cannot help."""
    known, head = _shipped_revisions()
    if rev is not None and rev not in known:
        raise SchemaNotCurrentError(
            f"database is at revision {rev}, which this annobot does not know (it knows up to {head}): "
            "a newer annobot migrated it; upgrade annobot"
        )


def ping(engine: Engine) -> None:
    """Ask the database for `SELECT 1`; raises SQLAlchemyError when it does not answer."""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error."""
    factory = sessionmaker(engine, expire_on_commit=False)
    with factory.begin() as session:
        yield session
