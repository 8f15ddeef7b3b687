"""Guidelines, their immutable versions, files, sections and search words."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.store.models.base import Base, utcnow


class Guideline(Base):
    """A guideline, identified by its slug; its content lives in versions."""

    __tablename__ = "guidelines"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    versions: Mapped[list[GuidelineVersion]] = relationship(back_populates="guideline")


class GuidelineVersion(Base):
    """An immutable published version of a guideline."""

    __tablename__ = "guideline_versions"
    __table_args__ = (UniqueConstraint("guideline_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    guideline_id: Mapped[int] = mapped_column(ForeignKey("guidelines.id", ondelete="CASCADE"), index=True)
    version: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    labels: Mapped[list[str]]
    scale: Mapped[str] = mapped_column(String(16))
    owners: Mapped[list[str]]
    effective_date: Mapped[date | None]
    changelog: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    content_hash: Mapped[str] = mapped_column(String(64))
    # label -> anchor of the section defining it, as the version's metadata declares (None: not declared).
    label_sections: Mapped[dict[str, Any] | None]
    # Exactly one version per guideline is current (the greatest by semver); kept by publish().
    is_current: Mapped[bool] = mapped_column(default=False, index=True)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by: Mapped[str | None] = mapped_column(String(200))
    # Sums over this version's sections, for the corpus averages of BM25F.
    section_count: Mapped[int] = mapped_column(default=0)
    title_terms: Mapped[int] = mapped_column(default=0)
    path_terms: Mapped[int] = mapped_column(default=0)
    body_terms: Mapped[int] = mapped_column(default=0)

    guideline: Mapped[Guideline] = relationship(back_populates="versions")
    sections: Mapped[list[Section]] = relationship(back_populates="version", order_by="Section.position")
    files: Mapped[list[GuidelineFile]] = relationship(order_by="GuidelineFile.position")


class GuidelineFile(Base):
    """A Markdown source file of a version, kept verbatim."""

    __tablename__ = "guideline_files"
    __table_args__ = (UniqueConstraint("version_id", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("guideline_versions.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(String(500))
    position: Mapped[int]
    text: Mapped[str] = mapped_column(Text)


class Section(Base):
    """One section (heading) of a guideline version; the unit of search and citation."""

    __tablename__ = "sections"
    __table_args__ = (
        UniqueConstraint("version_id", "anchor"),
        Index("ix_sections_version_id_position", "version_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("guideline_versions.id", ondelete="CASCADE"))
    anchor: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(500))
    level: Mapped[int]
    path: Mapped[list[str]]
    # Ancestor titles as one string: indexed for search beside title and body.
    path_text: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text)
    # The body as plain text (no markup, no link targets): what search indexes and snippets quote.
    plain: Mapped[str] = mapped_column(Text, default="")
    # The section's aliases as declared (`Aliases:` line), and the same one per line for the index.
    aliases: Mapped[list[str]] = mapped_column(default=list)
    alias_text: Mapped[str] = mapped_column(Text, default="")
    # Stems of title, path, body and aliases separated by tabs (the aliases' stems with a "," between
    # two aliases), computed once at publish so ranking a query does no text processing.
    stems: Mapped[str] = mapped_column(Text, default="")
    file: Mapped[str] = mapped_column(String(500))
    line: Mapped[int]
    position: Mapped[int]

    version: Mapped[GuidelineVersion] = relationship(back_populates="sections")


class SearchWord(Base):
    """How many sections (of any version) contain a word stem: document frequency for ranking."""

    __tablename__ = "search_words"

    word: Mapped[str] = mapped_column(String(100), primary_key=True)  # a Snowball stem
    sections: Mapped[int]


class SectionFeature(Base):
    """A feature of a section's text that is no stem (`¬bad`, `~mix|neutral`, `#percent`): found by lookup.

    Written at publish from guidelines.search.features; the same table on both backends, so a query's
    features select the same candidate sections on SQLite and PostgreSQL.
    """

    __tablename__ = "section_features"
    __table_args__ = (Index("ix_section_features_feature", "feature"),)

    section_id: Mapped[int] = mapped_column(ForeignKey("sections.id", ondelete="CASCADE"), primary_key=True)
    feature: Mapped[str] = mapped_column(String(100), primary_key=True)


class SectionTerm(Base):
    """A stem of a section with its integer BM25F weight: the postings candidates are chosen from.

    Written at publish from guidelines.search.postings (field 0: anywhere in the section, 1: in its
    title or aliases); the same rows on both backends, so SQLite and PostgreSQL choose the same
    candidates above FULL_SCAN (bot/store/candidates.py).
    """

    __tablename__ = "section_terms"
    # Covering: a query's stems are looked up by field and stem within the versions searched, and
    # the weights summed without reading the table.
    __table_args__ = (
        Index("ix_section_terms_lookup", "field", "stem", "version_id", "section_id", "position", "weight"),
    )

    section_id: Mapped[int] = mapped_column(ForeignKey("sections.id", ondelete="CASCADE"), primary_key=True)
    field: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    stem: Mapped[str] = mapped_column(String(100), primary_key=True)
    # The section's version and position, repeated here so that selection reads no other table (a
    # section's row holds its whole text: reading its position from there costs more than the sum).
    version_id: Mapped[int] = mapped_column(ForeignKey("guideline_versions.id", ondelete="CASCADE"))
    position: Mapped[int]
    weight: Mapped[int]


# Each stem's postings best first, also covering: bot/store/candidates.py reads the top of each and
# stops once the cut is proven (issue 15 item 9).
Index(
    "ix_section_terms_top",
    SectionTerm.field,
    SectionTerm.stem,
    SectionTerm.weight.desc(),
    SectionTerm.position,
    SectionTerm.version_id,
    SectionTerm.section_id,
)
