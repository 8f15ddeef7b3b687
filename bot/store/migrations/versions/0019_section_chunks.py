"""section_chunks: sentence embeddings of section chunks, stored with the version (issue 15 item 6)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03

One row per chunk of ≤ 200 words: 384 float32 as bytes and the encoder's fingerprint. Empty when the
semantic extra is not installed; `annobot guidelines reindex` fills it later.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "section_chunks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("section_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=120), nullable=False),
        sa.Column("text_hash", sa.String(length=64), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["section_id"],
            ["sections.id"],
            name=op.f("fk_section_chunks_section_id_sections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["guideline_versions.id"],
            name=op.f("fk_section_chunks_version_id_guideline_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_section_chunks")),
    )
    op.create_index(
        "ix_section_chunks_version_id_fingerprint",
        "section_chunks",
        ["version_id", "fingerprint"],
        unique=False,
    )
    op.create_index("ix_section_chunks_text_hash", "section_chunks", ["text_hash"], unique=False)
    op.create_index(op.f("ix_section_chunks_section_id"), "section_chunks", ["section_id"], unique=False)


def downgrade() -> None:
    """Revert."""
    op.drop_index(op.f("ix_section_chunks_section_id"), table_name="section_chunks")
    op.drop_index("ix_section_chunks_text_hash", table_name="section_chunks")
    op.drop_index("ix_section_chunks_version_id_fingerprint", table_name="section_chunks")
    op.drop_table("section_chunks")
