"""annotations: no per-row foreign key to projects, no (project, annotator) index, external_id index partial

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23

Bulk imports were slow on PostgreSQL mainly because of the foreign key annotations.project ->
projects.name (a per-row trigger) and an index entry for every row's NULL external_id. The writers
(import, webhook) check the project exists; no code deletes projects. Nothing reads annotations by
annotator alone (the digest reads a project's time window), so ix_annotations_project_annotator,
about a fifth of the database time of a bulk load, is dropped.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_NOT_NULL = sa.text("external_id IS NOT NULL")


def upgrade() -> None:
    """Apply."""
    with op.batch_alter_table("annotations") as batch:
        batch.drop_constraint("fk_annotations_project_projects", type_="foreignkey")
        batch.drop_index("ix_annotations_project_annotator")
        batch.drop_index("ix_annotations_project_external_id")
        batch.create_index(
            "ix_annotations_project_external_id",
            ["project", "external_id"],
            unique=False,
            postgresql_where=_NOT_NULL,
            sqlite_where=_NOT_NULL,
        )
    with op.batch_alter_table("annotation_history") as batch:
        batch.drop_constraint("fk_annotation_history_project_projects", type_="foreignkey")


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("annotation_history") as batch:
        batch.create_foreign_key(
            "fk_annotation_history_project_projects", "projects", ["project"], ["name"], ondelete="CASCADE"
        )
    with op.batch_alter_table("annotations") as batch:
        batch.drop_index("ix_annotations_project_external_id")
        batch.create_index("ix_annotations_project_external_id", ["project", "external_id"], unique=False)
        batch.create_index("ix_annotations_project_annotator", ["project", "annotator"], unique=False)
        batch.create_foreign_key(
            "fk_annotations_project_projects", "projects", ["project"], ["name"], ondelete="CASCADE"
        )
