"""guideline_versions.label_sections: the section that defines each label, as declared (issue 13 item 8)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

A version's metadata may declare label -> anchor (`[label_sections]` in guideline.toml), checked at
publish; the digest cites those sections instead of guessing them from the words. Nullable: versions
published before, or without the table, declare nothing.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    # A plain ADD COLUMN on both backends: a batch rebuild of this table on SQLite would gain nothing.
    op.add_column("guideline_versions", sa.Column("label_sections", sa.JSON(), nullable=True))


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("guideline_versions") as batch:
        batch.drop_column("label_sections")
