"""feedback: what lookups showed; unanswered questions and precedents (issue 15 item 7)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03

One row per lookup in each new table (unique lookup_id): a button clicked twice records once.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    op.add_column("lookups", sa.Column("hits", sa.JSON(), nullable=True))
    op.create_table(
        "unanswered_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lookup_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("query_key", sa.Text(), nullable=False),
        sa.Column("guideline", sa.String(length=64), nullable=True),
        sa.Column("version", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["lookup_id"],
            ["lookups.id"],
            name=op.f("fk_unanswered_questions_lookup_id_lookups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unanswered_questions")),
        sa.UniqueConstraint("lookup_id", name=op.f("uq_unanswered_questions_lookup_id")),
    )
    op.create_index(
        "ix_unanswered_questions_guideline_created_at",
        "unanswered_questions",
        ["guideline", "created_at"],
        unique=False,
    )
    op.create_table(
        "precedents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lookup_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("query_key", sa.Text(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("guideline", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("anchor", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["lookup_id"], ["lookups.id"], name=op.f("fk_precedents_lookup_id_lookups"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_precedents")),
        sa.UniqueConstraint("lookup_id", name=op.f("uq_precedents_lookup_id")),
    )
    op.create_index("ix_precedents_key_hash", "precedents", ["key_hash"], unique=False)


def downgrade() -> None:
    """Revert."""
    op.drop_index("ix_precedents_key_hash", table_name="precedents")
    op.drop_table("precedents")
    op.drop_index("ix_unanswered_questions_guideline_created_at", table_name="unanswered_questions")
    op.drop_table("unanswered_questions")
    with op.batch_alter_table("lookups") as batch:
        batch.drop_column("hits")
