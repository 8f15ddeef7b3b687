"""gold_history: the gold answers a later gold import replaced

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

Gold imports used to overwrite an item's answer with no trace; like annotation_history, each
replaced answer is now kept with its replacement and the time. No foreign key to projects (see 0004).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "gold_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project", sa.String(length=100), nullable=False),
        sa.Column("task", sa.String(length=200), nullable=False),
        sa.Column("item", sa.String(length=300), nullable=False),
        sa.Column("old_label", sa.Text(), nullable=False),
        sa.Column("new_label", sa.Text(), nullable=False),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gold_history")),
    )
    op.create_index(
        "ix_gold_history_project_task_item", "gold_history", ["project", "task", "item"], unique=False
    )


def downgrade() -> None:
    """Revert."""
    op.drop_index("ix_gold_history_project_task_item", table_name="gold_history")
    op.drop_table("gold_history")
