"""Hourly aggregates of the annotations, kept by every writer (reports/digest/hours.py defines them)."""

from __future__ import annotations

from sqlalchemy import BigInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.models.base import Base


class AnnotationHour(Base):
    """Per project, task, annotator and UTC hour: ratings, gold and consensus outcomes."""

    __tablename__ = "annotation_hours"
    # Hour second: the digest reads a project's range of hours.
    __table_args__ = (UniqueConstraint("project", "hour", "task", "annotator"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project: Mapped[str] = mapped_column(String(100))  # projects.name, no foreign key (see Annotation)
    hour: Mapped[int] = mapped_column(BigInteger)  # hours since the epoch, UTC
    task: Mapped[str] = mapped_column(String(200))
    annotator: Mapped[str] = mapped_column(String(200))
    n: Mapped[int]
    gold_n: Mapped[int]
    gold_err: Mapped[int]
    loo_n: Mapped[int]
    loo_err: Mapped[int]


class LabelPairHour(Base):
    """Per project, task, UTC hour, label, other label and item size: coincidence contributions (alpha)."""

    __tablename__ = "label_pair_hours"
    __table_args__ = (UniqueConstraint("project", "hour", "task", "label", "other", "m"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project: Mapped[str] = mapped_column(String(100))
    hour: Mapped[int] = mapped_column(BigInteger)
    task: Mapped[str] = mapped_column(String(200))
    label: Mapped[str] = mapped_column(Text)
    other: Mapped[str] = mapped_column(Text)
    m: Mapped[int]  # labels of the item
    s: Mapped[int]  # sum of (n_item(other) - [other == label]) over the hour's ratings with `label`
