"""slack_requests: signed commands and interactions already handled (a replay acts once)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "slack_requests",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_slack_requests")),
    )
    op.create_index("ix_slack_requests_signed_at", "slack_requests", ["signed_at"], unique=False)


def downgrade() -> None:
    """Revert."""
    op.drop_index("ix_slack_requests_signed_at", table_name="slack_requests")
    op.drop_table("slack_requests")
