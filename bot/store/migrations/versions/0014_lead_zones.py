"""lead_zones: each lead's Slack time zone for the leads-dm digests, cached with an expiry (issue 14 item 6)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03

Read by primary key (one IN query per tick for every lead); every replica shares it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "lead_zones",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("tz", sa.String(length=64), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_lead_zones")),
    )


def downgrade() -> None:
    """Revert."""
    op.drop_table("lead_zones")
