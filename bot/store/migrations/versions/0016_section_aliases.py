"""sections.aliases: the words annotators use for a section, stored and searched with it (issue 15 item 4)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03

A section may declare aliases (`Aliases: snark, sarcastic praise` under its heading). They are kept
as a list (`aliases`) and one per line (`alias_text`) for the full-text index, where they weigh like
title words: SQLite's FTS5 tables gain an `alias_text` column (rebuilt from `sections`), PostgreSQL's
generated tsvectors gain it with weight A. `stems` gains a fourth, tab-separated field (empty for the
sections stored before), so the shared BM25F reads four fields everywhere.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

# The FTS5 tables and their triggers as 0001 made them, then with the alias column appended (so
# `snippet(sections_fts, 2, …)` still quotes the body).
_FTS5_BEFORE = [
    """CREATE VIRTUAL TABLE sections_fts USING fts5(
        title, path_text, plain, content='sections', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2')""",
    """CREATE VIRTUAL TABLE sections_title_fts USING fts5(
        title, content='sections', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER sections_fts_ai AFTER INSERT ON sections BEGIN
        INSERT INTO sections_fts(rowid, title, path_text, plain)
        VALUES (new.id, new.title, new.path_text, new.plain);
        INSERT INTO sections_title_fts(rowid, title) VALUES (new.id, new.title);
    END""",
    """CREATE TRIGGER sections_fts_ad AFTER DELETE ON sections BEGIN
        INSERT INTO sections_fts(sections_fts, rowid, title, path_text, plain)
        VALUES ('delete', old.id, old.title, old.path_text, old.plain);
        INSERT INTO sections_title_fts(sections_title_fts, rowid, title) VALUES ('delete', old.id, old.title);
    END""",
    """CREATE TRIGGER sections_fts_au AFTER UPDATE ON sections BEGIN
        INSERT INTO sections_fts(sections_fts, rowid, title, path_text, plain)
        VALUES ('delete', old.id, old.title, old.path_text, old.plain);
        INSERT INTO sections_fts(rowid, title, path_text, plain)
        VALUES (new.id, new.title, new.path_text, new.plain);
        INSERT INTO sections_title_fts(sections_title_fts, rowid, title) VALUES ('delete', old.id, old.title);
        INSERT INTO sections_title_fts(rowid, title) VALUES (new.id, new.title);
    END""",
]
_FTS5_AFTER = [
    """CREATE VIRTUAL TABLE sections_fts USING fts5(
        title, path_text, plain, alias_text, content='sections', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2')""",
    """CREATE VIRTUAL TABLE sections_title_fts USING fts5(
        title, alias_text, content='sections', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER sections_fts_ai AFTER INSERT ON sections BEGIN
        INSERT INTO sections_fts(rowid, title, path_text, plain, alias_text)
        VALUES (new.id, new.title, new.path_text, new.plain, new.alias_text);
        INSERT INTO sections_title_fts(rowid, title, alias_text) VALUES (new.id, new.title, new.alias_text);
    END""",
    """CREATE TRIGGER sections_fts_ad AFTER DELETE ON sections BEGIN
        INSERT INTO sections_fts(sections_fts, rowid, title, path_text, plain, alias_text)
        VALUES ('delete', old.id, old.title, old.path_text, old.plain, old.alias_text);
        INSERT INTO sections_title_fts(sections_title_fts, rowid, title, alias_text)
        VALUES ('delete', old.id, old.title, old.alias_text);
    END""",
    """CREATE TRIGGER sections_fts_au AFTER UPDATE ON sections BEGIN
        INSERT INTO sections_fts(sections_fts, rowid, title, path_text, plain, alias_text)
        VALUES ('delete', old.id, old.title, old.path_text, old.plain, old.alias_text);
        INSERT INTO sections_fts(rowid, title, path_text, plain, alias_text)
        VALUES (new.id, new.title, new.path_text, new.plain, new.alias_text);
        INSERT INTO sections_title_fts(sections_title_fts, rowid, title, alias_text)
        VALUES ('delete', old.id, old.title, old.alias_text);
        INSERT INTO sections_title_fts(rowid, title, alias_text) VALUES (new.id, new.title, new.alias_text);
    END""",
]
# External-content tables are filled from `sections` itself.
_FTS5_REBUILD = [
    "INSERT INTO sections_fts(sections_fts) VALUES ('rebuild')",
    "INSERT INTO sections_title_fts(sections_title_fts) VALUES ('rebuild')",
]
_FTS5_DROP = [
    "DROP TRIGGER IF EXISTS sections_fts_ai",
    "DROP TRIGGER IF EXISTS sections_fts_ad",
    "DROP TRIGGER IF EXISTS sections_fts_au",
    "DROP TABLE IF EXISTS sections_fts",
    "DROP TABLE IF EXISTS sections_title_fts",
]

# The generated tsvectors and their GIN indexes as 0001 made them, then with the aliases (weight A,
# as titles; the titles-only vector holds them too).
_PG_BEFORE = [
    """ALTER TABLE sections ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') ||
        setweight(to_tsvector('english'::regconfig, coalesce(path_text, '')), 'B') ||
        setweight(to_tsvector('english'::regconfig, coalesce(plain, '')), 'D')) STORED""",
    "CREATE INDEX ix_sections_search_vector ON sections USING gin (search_vector)",
    """ALTER TABLE sections ADD COLUMN title_vector tsvector GENERATED ALWAYS AS (
        to_tsvector('english'::regconfig, coalesce(title, ''))) STORED""",
    "CREATE INDEX ix_sections_title_vector ON sections USING gin (title_vector)",
]
_PG_AFTER = [
    """ALTER TABLE sections ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') ||
        setweight(to_tsvector('english'::regconfig, coalesce(path_text, '')), 'B') ||
        setweight(to_tsvector('english'::regconfig, coalesce(plain, '')), 'D') ||
        setweight(to_tsvector('english'::regconfig, coalesce(alias_text, '')), 'A')) STORED""",
    "CREATE INDEX ix_sections_search_vector ON sections USING gin (search_vector)",
    """ALTER TABLE sections ADD COLUMN title_vector tsvector GENERATED ALWAYS AS (
        to_tsvector('english'::regconfig, coalesce(title, '')) ||
        to_tsvector('english'::regconfig, coalesce(alias_text, ''))) STORED""",
    "CREATE INDEX ix_sections_title_vector ON sections USING gin (title_vector)",
]
_PG_DROP = [
    "DROP INDEX IF EXISTS ix_sections_search_vector",
    "DROP INDEX IF EXISTS ix_sections_title_vector",
    "ALTER TABLE sections DROP COLUMN IF EXISTS title_vector",
    "ALTER TABLE sections DROP COLUMN IF EXISTS search_vector",
]


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _run(statements: list[str]) -> None:
    for ddl in statements:
        op.execute(ddl)


def _drop_search_index() -> None:
    _run(_FTS5_DROP if _sqlite() else _PG_DROP)


def _create_search_index(aliases: bool) -> None:
    if _sqlite():
        _run([*(_FTS5_AFTER if aliases else _FTS5_BEFORE), *_FTS5_REBUILD])
    else:
        _run(_PG_AFTER if aliases else _PG_BEFORE)


def upgrade() -> None:
    """Apply."""
    _drop_search_index()
    # Plain ADD COLUMN on both backends (no table rebuild); the server defaults fill the rows stored
    # before, which have no aliases.
    op.add_column("sections", sa.Column("aliases", sa.JSON(), nullable=False, server_default="[]"))
    op.add_column("sections", sa.Column("alias_text", sa.Text(), nullable=False, server_default=""))
    op.execute(sa.text("UPDATE sections SET stems = stems || :tab").bindparams(tab="\t"))
    _create_search_index(aliases=True)


def downgrade() -> None:
    """Revert."""
    _drop_search_index()
    # Back to three stem fields; the aliases go (portable SQL cannot cut at the third tab).
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, stems FROM sections")).all()
    update = sa.text("UPDATE sections SET stems = :stems WHERE id = :id")
    for row_id, stems in rows:
        bind.execute(update, {"id": row_id, "stems": "\t".join(stems.split("\t")[:3])})
    with op.batch_alter_table("sections") as batch:
        batch.drop_column("alias_text")
        batch.drop_column("aliases")
    _create_search_index(aliases=False)
