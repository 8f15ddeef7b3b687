"""section_terms by (field, stem, weight desc, position): each stem's best postings read first (issue 15 item 9)

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-04

bot/store/candidates.py reads the top of each query stem's postings in this order and stops once
the cut is proven, instead of summing every matching section's postings.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    op.create_index(
        "ix_section_terms_top",
        "section_terms",
        ["field", "stem", sa.text("weight DESC"), "position", "version_id", "section_id"],
        unique=False,
    )


def downgrade() -> None:
    """Revert."""
    op.drop_index("ix_section_terms_top", table_name="section_terms")
