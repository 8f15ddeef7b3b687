"""sections.aliases: the words annotators use for a section, stored and searched with it (issue 15 item 4)

Revision ID: 0014
Revises: 0013
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

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_TOKENIZE = "tokenize='porter unicode61 remove_diacritics 2'"


def _fts5_ddl(alias: bool) -> list[str]:
    """The FTS5 tables and their triggers, with or without the alias column (without: as 0001 made them)."""
    cols = "title, path_text, plain" + (", alias_text" if alias else "")
    new = "new.title, new.path_text, new.plain" + (", new.alias_text" if alias else "")
    old = "old.title, old.path_text, old.plain" + (", old.alias_text" if alias else "")
    tcols = "title" + (", alias_text" if alias else "")
    tnew = "new.title" + (", new.alias_text" if alias else "")
    told = "old.title" + (", old.alias_text" if alias else "")
    return [
        f"CREATE VIRTUAL TABLE sections_fts USING fts5({cols}, content='sections', content_rowid='id', {_TOKENIZE})",
        f"CREATE VIRTUAL TABLE sections_title_fts USING fts5({tcols}, content='sections', content_rowid='id', "
        f"{_TOKENIZE})",
        f"""CREATE TRIGGER sections_fts_ai AFTER INSERT ON sections BEGIN
            INSERT INTO sections_fts(rowid, {cols}) VALUES (new.id, {new});
            INSERT INTO sections_title_fts(rowid, {tcols}) VALUES (new.id, {tnew});
        END""",
        f"""CREATE TRIGGER sections_fts_ad AFTER DELETE ON sections BEGIN
            INSERT INTO sections_fts(sections_fts, rowid, {cols}) VALUES ('delete', old.id, {old});
            INSERT INTO sections_title_fts(sections_title_fts, rowid, {tcols}) VALUES ('delete', old.id, {told});
        END""",
        f"""CREATE TRIGGER sections_fts_au AFTER UPDATE ON sections BEGIN
            INSERT INTO sections_fts(sections_fts, rowid, {cols}) VALUES ('delete', old.id, {old});
            INSERT INTO sections_fts(rowid, {cols}) VALUES (new.id, {new});
            INSERT INTO sections_title_fts(sections_title_fts, rowid, {tcols}) VALUES ('delete', old.id, {told});
            INSERT INTO sections_title_fts(rowid, {tcols}) VALUES (new.id, {tnew});
        END""",
        # External-content tables are filled from `sections` itself.
        "INSERT INTO sections_fts(sections_fts) VALUES ('rebuild')",
        "INSERT INTO sections_title_fts(sections_title_fts) VALUES ('rebuild')",
    ]


def _pg_ddl(alias: bool) -> list[str]:
    """The generated tsvectors and their GIN indexes, with or without the aliases."""
    aliases = "coalesce(alias_text, '')"
    extra = f" ||\n        setweight(to_tsvector('english'::regconfig, {aliases}), 'A')" if alias else ""
    title = (
        f"to_tsvector('english'::regconfig, coalesce(title, '') || ' ' || {aliases})"
        if alias
        else "to_tsvector('english'::regconfig, coalesce(title, ''))"
    )
    return [
        f"""ALTER TABLE sections ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') ||
        setweight(to_tsvector('english'::regconfig, coalesce(path_text, '')), 'B') ||
        setweight(to_tsvector('english'::regconfig, coalesce(plain, '')), 'D'){extra}) STORED""",
        "CREATE INDEX ix_sections_search_vector ON sections USING gin (search_vector)",
        f"ALTER TABLE sections ADD COLUMN title_vector tsvector GENERATED ALWAYS AS ({title}) STORED",
        "CREATE INDEX ix_sections_title_vector ON sections USING gin (title_vector)",
    ]


def _drop_search_index() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("sections_fts_ai", "sections_fts_ad", "sections_fts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS sections_fts")
        op.execute("DROP TABLE IF EXISTS sections_title_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_sections_search_vector")
        op.execute("DROP INDEX IF EXISTS ix_sections_title_vector")
        op.execute("ALTER TABLE sections DROP COLUMN IF EXISTS title_vector")
        op.execute("ALTER TABLE sections DROP COLUMN IF EXISTS search_vector")


def _create_search_index(alias: bool) -> None:
    for ddl in _fts5_ddl(alias) if op.get_bind().dialect.name == "sqlite" else _pg_ddl(alias):
        op.execute(ddl)


def upgrade() -> None:
    """Apply."""
    _drop_search_index()
    # Plain ADD COLUMN on both backends: a batch rebuild of `sections` on SQLite would drop the
    # triggers the index needs. The server defaults fill the rows stored before.
    op.add_column("sections", sa.Column("aliases", sa.JSON(), nullable=False, server_default="[]"))
    op.add_column("sections", sa.Column("alias_text", sa.Text(), nullable=False, server_default=""))
    op.execute(sa.text("UPDATE sections SET stems = stems || :tab").bindparams(tab="\t"))
    _create_search_index(alias=True)


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
    _create_search_index(alias=False)
