"""section_features: negations, comparisons and surface cues of each section (issue 15 items 2 and 5)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03

Also re-derives the stored stems and word counts of every section already published, so that the
features take part in ranking for old versions too (the text they come from is stored).
"""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    from guidelines.search.features import section_terms
    from guidelines.search.ranking import ALIAS_SEPARATOR, alias_stems

    op.create_table(
        "section_features",
        sa.Column("section_id", sa.Integer(), nullable=False),
        sa.Column("feature", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["section_id"],
            ["sections.id"],
            name=op.f("fk_section_features_section_id_sections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("section_id", "feature", name=op.f("pk_section_features")),
    )
    op.create_index("ix_section_features_feature", "section_features", ["feature"], unique=False)
    conn = op.get_bind()
    rows = conn.execute(
        sa.text("SELECT id, version_id, title, path_text, plain, alias_text FROM sections ORDER BY id")
    ).all()
    if not rows:
        return
    counts: Counter[str] = Counter()
    totals: dict[int, list[int]] = {}
    for sid, vid, title, path_text, plain, alias_text in rows:
        texts, feats = section_terms(title, path_text, plain)
        fields = (*texts, alias_stems([a for a in (alias_text or "").split("\n") if a]))
        counts.update(set().union(*fields) - {ALIAS_SEPARATOR})
        t = totals.setdefault(vid, [0, 0, 0])
        for i, f in enumerate(texts):
            t[i] += len(f)
        conn.execute(
            sa.text("UPDATE sections SET stems = :stems WHERE id = :id"),
            {"stems": "\t".join(" ".join(f) for f in fields), "id": sid},
        )
        if feats:
            conn.execute(
                sa.text("INSERT INTO section_features (section_id, feature) VALUES (:s, :f)"),
                [{"s": sid, "f": f} for f in feats],
            )
    for vid, (t, p, b) in totals.items():
        conn.execute(
            sa.text(
                "UPDATE guideline_versions SET title_terms = :t, path_terms = :p, body_terms = :b WHERE id = :id"
            ),
            {"t": t, "p": p, "b": b, "id": vid},
        )
    conn.execute(sa.text("DELETE FROM search_words"))
    conn.execute(
        sa.text("INSERT INTO search_words (word, sections) VALUES (:w, :n)"),
        [{"w": w, "n": n} for w, n in counts.items()],
    )


def downgrade() -> None:
    """Revert (the stems keep their features: ranking reads them harmlessly)."""
    op.drop_index("ix_section_features_feature", table_name="section_features")
    op.drop_table("section_features")
