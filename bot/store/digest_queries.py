"""Reading a project's annotations, gold and guideline facts from the store for the digest."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from bot.store.guideline_store import get_version
from bot.store.models import Guideline, GuidelineVersion
from bot.store.models_annotations import Annotation, Gold
from bot.store.projects import get_project
from bot.store.search import search_sections
from reports.digest.model import TaskSpec

COLUMNS = (
    "project",
    "task",
    "item",
    "annotator",
    "label",
    "created_at",
    "cohort",
    "guideline_version",
    "duration_s",
)
BASELINE_DAYS = 14  # drift baseline read before the window


@dataclass(frozen=True)
class DigestInputs:
    """Everything build_digest needs, read in one transaction."""

    project: str
    annotations: pd.DataFrame
    gold: pd.DataFrame
    tasks: dict[str, TaskSpec]
    previous: pd.DataFrame | None
    baseline: pd.DataFrame | None
    release_dates: tuple[date, ...]


def _frame(session: Session, stmt: Select) -> pd.DataFrame:
    rows = session.execute(stmt).all()
    df = pd.DataFrame(rows, columns=list(COLUMNS))
    # SQLite hands back naive datetimes (stored as UTC); PostgreSQL aware ones: make both aware UTC.
    df["created_at"] = pd.to_datetime(df["created_at"], utc=True)
    df["duration_s"] = pd.to_numeric(df["duration_s"], errors="coerce")
    return df


def _annotations(
    session: Session, project: str, start: datetime | None, end: datetime | None
) -> pd.DataFrame:
    a = Annotation
    stmt = select(*(getattr(a, c) for c in COLUMNS)).where(a.project == project)
    if start is not None:
        stmt = stmt.where(a.created_at >= start)
    if end is not None:
        stmt = stmt.where(a.created_at < end)
    return _frame(session, stmt)


def _label_sections(
    session: Session, slug: str, version: str, labels: tuple[str, ...]
) -> dict[str, tuple[str, str]]:
    """For each label, the guideline section that best explains it (so confusions cite sections)."""
    out = {}
    for label in labels:
        hits = search_sections(session, label, guideline=slug, version=version, limit=1).hits
        if hits:
            out[label] = (hits[0].anchor, hits[0].title)
    return out


def digest_inputs(
    session: Session, project: str, start: datetime | None, end: datetime | None
) -> DigestInputs:
    """The window's annotations (None: all), the previous window, a drift baseline, gold and task specs."""
    proj = get_project(session, project)
    current = get_version(session, proj.guideline)
    labels = tuple(current.labels)
    df = _annotations(session, project, start, end)
    previous = baseline = None
    if start is not None and end is not None:
        previous = _annotations(session, project, start - (end - start), start)
        baseline = _annotations(session, project, start - timedelta(days=BASELINE_DAYS), start)
    gold_rows = session.execute(select(Gold.task, Gold.item, Gold.label).where(Gold.project == project)).all()
    gold = pd.DataFrame(gold_rows, columns=["task", "item", "label"])
    sections = _label_sections(session, proj.guideline, current.version, labels)
    spec = TaskSpec(
        labels=labels,
        scale=current.scale,
        guideline=proj.guideline,
        version=current.version,
        label_sections=sections,
    )  # type: ignore[arg-type]
    tasks = {str(t): spec for t in sorted(set(df["task"]) | set(gold["task"]))}
    releases = session.scalars(
        select(GuidelineVersion.published_at).join(Guideline).where(Guideline.slug == proj.guideline)
    ).all()
    return DigestInputs(
        project=project,
        annotations=df,
        gold=gold,
        tasks=tasks,
        previous=previous if previous is not None and len(previous) else None,
        baseline=baseline if baseline is not None and len(baseline) else None,
        release_dates=tuple(sorted({r.date() for r in releases})),
    )
