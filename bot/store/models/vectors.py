"""Sentence embeddings of section chunks, stored with the (immutable) version they belong to."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.models.base import Base


class SectionChunk(Base):
    """One chunk of a section (≤ 200 words, heading path first) and its all-MiniLM-L6-v2 vector.

    Written at publish (or by `annobot guidelines reindex` when the extra was missing then); never
    updated, since a version never changes. Vectors of another encoder fingerprint are ignored.
    """

    __tablename__ = "section_chunks"
    __table_args__ = (
        Index("ix_section_chunks_version_id_fingerprint", "version_id", "fingerprint"),
        Index("ix_section_chunks_text_hash", "text_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("guideline_versions.id", ondelete="CASCADE"))
    section_id: Mapped[int] = mapped_column(ForeignKey("sections.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]  # the chunk's order within its section
    # Which weights made the vector (bot.semantic.encoder.Encoder.fingerprint).
    fingerprint: Mapped[str] = mapped_column(String(120))
    # sha256 of the embedded text: an identical chunk of a later version reuses the vector.
    text_hash: Mapped[str] = mapped_column(String(64))
    # 384 little-endian float32, unit length (1,536 bytes).
    vector: Mapped[bytes] = mapped_column(LargeBinary)
