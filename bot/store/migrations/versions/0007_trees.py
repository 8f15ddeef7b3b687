"""decision_trees: the decision trees of each guideline version, and the anchors each cites

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

Trees are published with their guideline version (issue 11): the YAML source, part of the version's
content, and the canonical JSON readers rebuild a Tree from. decision_tree_anchors finds the trees
citing a section, for the Walk the tree button of a `/guide` answer.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "decision_trees",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("tree_id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("file", sa.String(length=500), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["guideline_versions.id"],
            name=op.f("fk_decision_trees_version_id_guideline_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decision_trees")),
        sa.UniqueConstraint("version_id", "tree_id", name=op.f("uq_decision_trees_version_id_tree_id")),
    )
    op.create_table(
        "decision_tree_anchors",
        sa.Column("tree_pk", sa.Integer(), nullable=False),
        sa.Column("anchor", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["tree_pk"],
            ["decision_trees.id"],
            name=op.f("fk_decision_tree_anchors_tree_pk_decision_trees"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tree_pk", "anchor", name=op.f("pk_decision_tree_anchors")),
    )
    op.create_index(
        "ix_decision_tree_anchors_anchor_tree_pk",
        "decision_tree_anchors",
        ["anchor", "tree_pk"],
        unique=False,
    )


def downgrade() -> None:
    """Revert."""
    op.drop_index("ix_decision_tree_anchors_anchor_tree_pk", table_name="decision_tree_anchors")
    op.drop_table("decision_tree_anchors")
    op.drop_table("decision_trees")
