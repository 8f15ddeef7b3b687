"""lookups.channel and lookups.thread_ts: where a question was asked, so a thread's next `@annobot` assumes
the guideline its last answer came from (issue 15 item 3)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03

Both nullable: rows from before say nothing about their place. Indexed by (channel, thread_ts) for the
thread's latest answer.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    with op.batch_alter_table("lookups") as batch:
        batch.add_column(sa.Column("channel", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("thread_ts", sa.String(length=32), nullable=True))
    op.create_index("ix_lookups_channel_thread_ts", "lookups", ["channel", "thread_ts"], unique=False)


def downgrade() -> None:
    """Revert."""
    op.drop_index("ix_lookups_channel_thread_ts", table_name="lookups")
    with op.batch_alter_table("lookups") as batch:
        batch.drop_column("thread_ts")
        batch.drop_column("channel")
