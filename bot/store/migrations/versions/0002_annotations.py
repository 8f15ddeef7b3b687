"""projects, annotators, annotations (with history) and gold

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "annotators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tool_id", sa.String(length=200), nullable=False),
        sa.Column("tool", sa.String(length=50), nullable=True),
        sa.Column("slack_user_id", sa.String(length=50), nullable=True),
        sa.Column("email", sa.String(length=300), nullable=True),
        sa.Column("team", sa.String(length=100), nullable=True),
        sa.Column("shift", sa.String(length=100), nullable=True),
        sa.Column("vendor", sa.String(length=100), nullable=True),
        sa.Column("locale", sa.String(length=35), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_annotators")),
        sa.UniqueConstraint("tool_id", name=op.f("uq_annotators_tool_id")),
    )
    op.create_index(op.f("ix_annotators_slack_user_id"), "annotators", ["slack_user_id"], unique=False)
    op.create_table(
        "projects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("guideline", sa.String(length=64), nullable=False),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
        sa.UniqueConstraint("name", name=op.f("uq_projects_name")),
    )
    op.create_table(
        "annotation_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project", sa.String(length=100), nullable=False),
        sa.Column("task", sa.String(length=200), nullable=False),
        sa.Column("item", sa.String(length=300), nullable=False),
        sa.Column("annotator", sa.String(length=200), nullable=False),
        sa.Column("span_key", sa.String(length=40), nullable=False),
        sa.Column("old_label", sa.Text(), nullable=False),
        sa.Column("new_label", sa.Text(), nullable=True),
        sa.Column("old_created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("new_created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project"],
            ["projects.name"],
            name=op.f("fk_annotation_history_project_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_annotation_history")),
    )
    op.create_index(
        "ix_annotation_history_project_task_item",
        "annotation_history",
        ["project", "task", "item"],
        unique=False,
    )
    op.create_table(
        "annotations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project", sa.String(length=100), nullable=False),
        sa.Column("task", sa.String(length=200), nullable=False),
        sa.Column("item", sa.String(length=300), nullable=False),
        sa.Column("annotator", sa.String(length=200), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("label_num", sa.Float(), nullable=True),
        sa.Column("span_start", sa.Integer(), nullable=True),
        sa.Column("span_end", sa.Integer(), nullable=True),
        sa.Column("span_key", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("cohort", sa.String(length=100), nullable=True),
        sa.Column("guideline_version", sa.String(length=64), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project"], ["projects.name"], name=op.f("fk_annotations_project_projects"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_annotations")),
        sa.UniqueConstraint(
            "project",
            "task",
            "item",
            "annotator",
            "span_key",
            name=op.f("uq_annotations_project_task_item_annotator_span_key"),
        ),
    )
    op.create_index("ix_annotations_project_annotator", "annotations", ["project", "annotator"], unique=False)
    op.create_index(
        "ix_annotations_project_external_id", "annotations", ["project", "external_id"], unique=False
    )
    op.create_index(
        "ix_annotations_project_task_created_at",
        "annotations",
        ["project", "task", "created_at"],
        unique=False,
    )
    op.create_table(
        "gold",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project", sa.String(length=100), nullable=False),
        sa.Column("task", sa.String(length=200), nullable=False),
        sa.Column("item", sa.String(length=300), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project"], ["projects.name"], name=op.f("fk_gold_project_projects"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gold")),
        sa.UniqueConstraint("project", "task", "item", name=op.f("uq_gold_project_task_item")),
    )


def downgrade() -> None:
    """Revert."""
    op.drop_table("gold")
    op.drop_index("ix_annotations_project_task_created_at", table_name="annotations")
    op.drop_index("ix_annotations_project_external_id", table_name="annotations")
    op.drop_index("ix_annotations_project_annotator", table_name="annotations")
    op.drop_table("annotations")
    op.drop_index("ix_annotation_history_project_task_item", table_name="annotation_history")
    op.drop_table("annotation_history")
    op.drop_table("projects")
    op.drop_index(op.f("ix_annotators_slack_user_id"), table_name="annotators")
    op.drop_table("annotators")
