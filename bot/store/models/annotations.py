"""Projects, annotator identities, annotations (with replacement history) and gold answers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.models.base import Base, utcnow


class Project(Base):
    """A labeling project: the guideline its labels come from and the channels it reports to."""

    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    guideline: Mapped[str] = mapped_column(String(64))  # a guideline slug
    channels: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Annotator(Base):
    """An annotator as the labeling tool knows them, mapped to Slack and to cohort attributes."""

    __tablename__ = "annotators"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The id annotations carry in `annotations.annotator`; project-independent.
    tool_id: Mapped[str] = mapped_column(String(200), unique=True)
    tool: Mapped[str | None] = mapped_column(String(50))
    slack_user_id: Mapped[str | None] = mapped_column(String(50), index=True)
    email: Mapped[str | None] = mapped_column(String(300))
    team: Mapped[str | None] = mapped_column(String(100))
    shift: Mapped[str | None] = mapped_column(String(100))
    vendor: Mapped[str | None] = mapped_column(String(100))
    locale: Mapped[str | None] = mapped_column(String(35))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Annotation(Base):
    """One label given by one annotator to one item (or one span of it) for one task of a project."""

    __tablename__ = "annotations"
    __table_args__ = (
        # Natural key. span_key is "" for item-level labels and "START:END" for spans: the nullable
        # span_start/span_end cannot be in a unique key (NULLs are distinct on both backends).
        UniqueConstraint("project", "task", "item", "annotator", "span_key"),
        Index("ix_annotations_project_task_created_at", "project", "task", "created_at"),
        # No (project, annotator) index: nothing reads annotations by annotator alone (the digest
        # reads a project's time window and groups by annotator in memory), and keeping it cost
        # about a fifth of a bulk import's database time.
        # Only Label Studio rows carry an external_id (the webhook looks rows up by it): bulk CSV rows
        # have none and stay out of this index.
        Index(
            "ix_annotations_project_external_id",
            "project",
            "external_id",
            postgresql_where=text("external_id IS NOT NULL"),
            sqlite_where=text("external_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # projects.name, checked by the writers (import, webhook) rather than by a foreign key: PostgreSQL
    # runs a foreign key check as a per-row trigger, which was more than half of a bulk import's time.
    project: Mapped[str] = mapped_column(String(100))
    task: Mapped[str] = mapped_column(String(200))
    item: Mapped[str] = mapped_column(String(300))
    annotator: Mapped[str] = mapped_column(String(200))  # annotators.tool_id (mapping is optional)
    label: Mapped[str] = mapped_column(Text)
    label_num: Mapped[float | None] = mapped_column(Float)  # interval value, or ordinal rank
    span_start: Mapped[int | None]
    span_end: Mapped[int | None]
    span_key: Mapped[str] = mapped_column(String(40), default="")
    created_at: Mapped[datetime]
    duration_s: Mapped[float | None] = mapped_column(Float)
    cohort: Mapped[str | None] = mapped_column(String(100))
    guideline_version: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(20))  # csv, jsonl, label-studio, webhook
    external_id: Mapped[str | None] = mapped_column(String(100))  # Label Studio annotation id
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AnnotationHistory(Base):
    """A label that was replaced by a newer one (or deleted: new_label is NULL)."""

    __tablename__ = "annotation_history"
    __table_args__ = (Index("ix_annotation_history_project_task_item", "project", "task", "item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project: Mapped[str] = mapped_column(String(100))  # projects.name, no foreign key (see Annotation)
    task: Mapped[str] = mapped_column(String(200))
    item: Mapped[str] = mapped_column(String(300))
    annotator: Mapped[str] = mapped_column(String(200))
    span_key: Mapped[str] = mapped_column(String(40), default="")
    old_label: Mapped[str] = mapped_column(Text)
    new_label: Mapped[str | None] = mapped_column(Text)
    old_created_at: Mapped[datetime]
    new_created_at: Mapped[datetime | None]
    replaced_at: Mapped[datetime] = mapped_column(default=utcnow)


class Gold(Base):
    """The reference answer for an item of a task."""

    __tablename__ = "gold"
    __table_args__ = (UniqueConstraint("project", "task", "item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project: Mapped[str] = mapped_column(String(100), ForeignKey("projects.name", ondelete="CASCADE"))
    task: Mapped[str] = mapped_column(String(200))
    item: Mapped[str] = mapped_column(String(300))
    label: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class GoldHistory(Base):
    """A gold answer that a later gold import replaced, as annotation_history keeps annotations."""

    __tablename__ = "gold_history"
    __table_args__ = (Index("ix_gold_history_project_task_item", "project", "task", "item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project: Mapped[str] = mapped_column(String(100))  # projects.name, no foreign key (see Annotation)
    task: Mapped[str] = mapped_column(String(200))
    item: Mapped[str] = mapped_column(String(300))
    old_label: Mapped[str] = mapped_column(Text)
    new_label: Mapped[str] = mapped_column(Text)
    replaced_at: Mapped[datetime] = mapped_column(default=utcnow)
