"""Per-invocation CLI state: config and engine, built lazily at the edge."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from bot.config import Config, load_config

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session


class CliState:
    """Holds what one command needs; nothing is built until asked for."""

    def __init__(self, config_path: str | None) -> None:
        self.config_path = config_path
        self._config: Config | None = None
        self._engine: Engine | None = None

    @property
    def config(self) -> Config:
        """The loaded configuration."""
        if self._config is None:
            self._config = load_config(self.config_path)
        return self._config

    def engine(self, *, check_schema: bool = True) -> Engine:
        """The database engine; SQLite is migrated on first use, PostgreSQL must be upgraded explicitly."""
        if self._engine is None:
            # Deferred: SQLAlchemy is a third of a second to import, and --help needs no database.
            from bot.store.db import is_sqlite, make_engine, require_head

            url = self.config.database_url
            self._engine = make_engine(url)
            if check_schema and not is_sqlite(url):
                require_head(self._engine)
        return self._engine

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction for one user action."""
        from bot.store.db import session_scope

        with session_scope(self.engine()) as session:
            yield session
