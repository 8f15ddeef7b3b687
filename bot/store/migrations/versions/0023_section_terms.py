"""section_terms: integer term weights per section, for choosing candidates alike on both backends (issue 15 item 8)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03

Also writes the postings of every section already published, from its stored stems and its
version's term totals (what publish() computes them from), so that old versions are found too.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

BATCH = 5000


def upgrade() -> None:
    """Apply."""
    from guidelines.search.postings import section_postings

    op.create_table(
        "section_terms",
        sa.Column("section_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.SmallInteger(), nullable=False),
        sa.Column("stem", sa.String(length=100), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["section_id"],
            ["sections.id"],
            name=op.f("fk_section_terms_section_id_sections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["guideline_versions.id"],
            name=op.f("fk_section_terms_version_id_guideline_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("section_id", "field", "stem", name=op.f("pk_section_terms")),
    )
    op.create_index(
        "ix_section_terms_lookup",
        "section_terms",
        ["field", "stem", "version_id", "section_id", "position", "weight"],
        unique=False,
    )
    conn = op.get_bind()
    averages = {
        vid: [t / n if n else 0.0 for t in (title, path, body)]
        for vid, n, title, path, body in conn.execute(
            sa.text("SELECT id, section_count, title_terms, path_terms, body_terms FROM guideline_versions")
        )
    }
    rows = conn.execute(sa.text("SELECT id, version_id, position, stems FROM sections ORDER BY id")).all()
    batch: list[dict] = []
    insert = sa.text(
        "INSERT INTO section_terms (section_id, field, stem, version_id, position, weight) "
        "VALUES (:s, :f, :t, :v, :p, :w)"
    )
    for sid, vid, position, stems in rows:
        fields = [f.split() for f in (stems or "").split("\t")]
        for field, term, weight in section_postings(fields, averages.get(vid, [0.0, 0.0, 0.0])):
            batch.append({"s": sid, "f": field, "t": term, "v": vid, "p": position, "w": weight})
        if len(batch) >= BATCH:
            conn.execute(insert, batch)
            batch = []
    if batch:
        conn.execute(insert, batch)


def downgrade() -> None:
    """Revert."""
    op.drop_index("ix_section_terms_lookup", table_name="section_terms")
    op.drop_table("section_terms")
