"""annotation_hours, label_pair_hours: hourly aggregates for the digest's baseline and previous window (issue 14 item 7)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03

Filled from the existing annotations and gold (bot.store.aggregates.rebuild_all); afterwards every
writer keeps them. `annobot db rebuild-aggregates` recomputes them at any time.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply, then backfill from the rows already stored."""
    op.create_table(
        "annotation_hours",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project", sa.String(length=100), nullable=False),
        sa.Column("hour", sa.BigInteger(), nullable=False),
        sa.Column("task", sa.String(length=200), nullable=False),
        sa.Column("annotator", sa.String(length=200), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("gold_n", sa.Integer(), nullable=False),
        sa.Column("gold_err", sa.Integer(), nullable=False),
        sa.Column("loo_n", sa.Integer(), nullable=False),
        sa.Column("loo_err", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_annotation_hours")),
        sa.UniqueConstraint(
            "project",
            "hour",
            "task",
            "annotator",
            name=op.f("uq_annotation_hours_project_hour_task_annotator"),
        ),
    )
    op.create_table(
        "label_pair_hours",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project", sa.String(length=100), nullable=False),
        sa.Column("hour", sa.BigInteger(), nullable=False),
        sa.Column("task", sa.String(length=200), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("other", sa.Text(), nullable=False),
        sa.Column("m", sa.Integer(), nullable=False),
        sa.Column("s", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_label_pair_hours")),
        sa.UniqueConstraint(
            "project",
            "hour",
            "task",
            "label",
            "other",
            "m",
            name=op.f("uq_label_pair_hours_project_hour_task_label_other_m"),
        ),
    )
    # Deferred import: the backfill shares the writers' code, so both aggregate the same way.
    from bot.store.aggregates import rebuild_all

    rebuild_all(op.get_bind())


def downgrade() -> None:
    """Revert."""
    op.drop_table("label_pair_hours")
    op.drop_table("annotation_hours")
