"""Alembic environment: runs against the engine handed over by bot.store.db."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import create_engine

from bot.store.schema import metadata as target_metadata_all

config = context.config
target_metadata = target_metadata_all

# Objects the models cannot express (SQLite FTS5 tables, the PostgreSQL tsvector column and its
# GIN index) are created by migrations and kept out of autogenerate comparisons.
_UNMODELLED_TABLE_PREFIXES = ("sections_fts", "sections_title_fts")
_UNMODELLED_NAMES = {"search_vector", "title_vector", "ix_sections_search_vector", "ix_sections_title_vector"}


def include_name(name: str | None, type_: str, _parent: dict[str, Any]) -> bool:
    """Skip objects managed by hand in migrations."""
    if name is None:
        return True
    if type_ == "table" and name.startswith(_UNMODELLED_TABLE_PREFIXES):
        return False
    return name not in _UNMODELLED_NAMES


def run_migrations() -> None:
    """Run migrations online (annobot never emits offline SQL scripts)."""
    engine = config.attributes.get("engine") or create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            include_name=include_name,
            compare_type=True,
        )
        context.run_migrations()


run_migrations()
