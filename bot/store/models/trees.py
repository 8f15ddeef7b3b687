"""Decision trees of guideline versions, and the section anchors each cites."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.models.base import Base


class DecisionTree(Base):
    """One tree of one guideline version, immutable like the version (published with it)."""

    __tablename__ = "decision_trees"
    __table_args__ = (UniqueConstraint("version_id", "tree_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("guideline_versions.id", ondelete="CASCADE"))
    tree_id: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    file: Mapped[str] = mapped_column(String(500))  # `trees/sarcasm.yaml`
    position: Mapped[int]  # order of the files in the version
    # The YAML as published (part of the version's content hash) and the canonical JSON
    # (guidelines.trees.canonical) that readers rebuild the Tree from, exactly.
    source: Mapped[str] = mapped_column(Text)
    data: Mapped[str] = mapped_column(Text)


class DecisionTreeAnchor(Base):
    """A section anchor a tree cites (in a question or a leaf): finds the trees of a `/guide` answer."""

    __tablename__ = "decision_tree_anchors"
    __table_args__ = (Index("ix_decision_tree_anchors_anchor_tree_pk", "anchor", "tree_pk"),)

    tree_pk: Mapped[int] = mapped_column(
        ForeignKey("decision_trees.id", ondelete="CASCADE"), primary_key=True
    )
    anchor: Mapped[str] = mapped_column(String(200), primary_key=True)
