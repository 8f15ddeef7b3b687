"""digest_runs: one row per run of a digest schedule, claimed once by its unique key (issue 14 item 3)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02

Indexed by due (the scheduler's tick reads a recent range) and by (schedule, due) for the history.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "digest_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_key", sa.String(length=100), nullable=False),
        sa.Column("schedule", sa.String(length=40), nullable=False),
        sa.Column("due", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("claimed_by", sa.String(length=100), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message_channel", sa.String(length=32), nullable=True),
        sa.Column("message_ts", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('claimed', 'posted', 'late-posted', 'skipped', 'failed')",
            name=op.f("ck_digest_runs_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_runs")),
        sa.UniqueConstraint("run_key", name=op.f("uq_digest_runs_run_key")),
    )
    op.create_index("ix_digest_runs_due", "digest_runs", ["due"], unique=False)
    op.create_index("ix_digest_runs_schedule_due", "digest_runs", ["schedule", "due"], unique=False)


def downgrade() -> None:
    """Revert."""
    op.drop_index("ix_digest_runs_schedule_due", table_name="digest_runs")
    op.drop_index("ix_digest_runs_due", table_name="digest_runs")
    op.drop_table("digest_runs")
