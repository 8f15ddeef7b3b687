"""Projects and annotator identities in the store."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import ProjectConfig
from bot.errors import ConflictError, InputError, NotFoundError
from bot.store.guidelines import get_version
from bot.store.models.annotations import Annotator, Project
from bot.store.models.guidelines import Guideline, GuidelineVersion

ANNOTATOR_ATTRS = ("email", "team", "shift", "vendor", "locale", "tool")


@dataclass(frozen=True)
class ProjectLabels:
    """A project's guideline version current now, with its labels and scale."""

    project: str
    guideline: str
    version: str
    labels: tuple[str, ...]
    scale: str


def sync_config_projects(session: Session, projects: tuple[ProjectConfig, ...]) -> None:
    """Make the `[[projects]]` of the config exist in the table (the config wins on conflicts)."""
    if not projects:
        return
    stored = {
        p.name: p
        for p in session.scalars(select(Project).where(Project.name.in_([c.name for c in projects])))
    }
    for cfg in projects:
        row = stored.get(cfg.name)
        if row is None:
            session.add(Project(name=cfg.name, guideline=cfg.guideline, channels=list(cfg.channels)))
        elif (row.guideline, list(row.channels)) != (cfg.guideline, list(cfg.channels)):
            row.guideline, row.channels = cfg.guideline, list(cfg.channels)
    session.flush()


def add_project(session: Session, name: str, guideline: str, channels: list[str]) -> Project:
    """Create a project naming a published guideline; re-adding the same definition is a no-op."""
    if not name.strip():
        raise InputError("project name must not be empty")
    get_version(session, guideline)  # NotFoundError names the known guidelines
    row = session.scalars(select(Project).where(Project.name == name)).one_or_none()
    if row is not None:
        if row.guideline != guideline:
            raise ConflictError(f"project '{name}' already exists with guideline '{row.guideline}'")
        row.channels = sorted(set(row.channels) | set(channels))
        return row
    row = Project(name=name, guideline=guideline, channels=channels)
    session.add(row)
    session.flush()
    return row


def list_projects(session: Session) -> list[Project]:
    """All projects by name."""
    return list(session.scalars(select(Project).order_by(Project.name)))


def get_project(session: Session, name: str) -> Project:
    """A project by name, or NotFoundError listing the known ones."""
    row = session.scalars(select(Project).where(Project.name == name)).one_or_none()
    if row is None:
        known = session.scalars(select(Project.name).order_by(Project.name)).all()
        hint = f" (known: {', '.join(known)})" if known else " (add one with 'annobot projects add')"
        raise NotFoundError(f"no project '{name}'{hint}")
    return row


def project_labels(session: Session, name: str) -> ProjectLabels:
    """The label set and scale an import into this project is validated against."""
    project = get_project(session, name)
    # A light query (no sections): the webhook calls this on every request.
    row = session.execute(
        select(GuidelineVersion.version, GuidelineVersion.labels, GuidelineVersion.scale)
        .join(Guideline)
        .where(Guideline.slug == project.guideline, GuidelineVersion.is_current)
    ).one_or_none()
    if row is None:
        get_version(session, project.guideline)  # raises NotFoundError with the known guidelines
        raise NotFoundError(f"guideline '{project.guideline}' has no current version")
    return ProjectLabels(name, project.guideline, row.version, tuple(row.labels), row.scale)


def map_annotator(
    session: Session, tool_id: str, slack_user_id: str | None, **attrs: str | None
) -> Annotator:
    """Create or update an annotator identity; attributes not given are left as they are."""
    if not tool_id.strip():
        raise InputError("annotator tool id must not be empty")
    row = session.scalars(select(Annotator).where(Annotator.tool_id == tool_id)).one_or_none()
    if row is None:
        row = Annotator(tool_id=tool_id)
        session.add(row)
    if slack_user_id is not None:
        row.slack_user_id = slack_user_id
    for key, value in attrs.items():
        if key not in ANNOTATOR_ATTRS:
            raise InputError(f"unknown annotator attribute '{key}'")
        if value is not None:
            setattr(row, key, value)
    session.flush()
    return row


def list_annotators(session: Session) -> list[Annotator]:
    """All annotator identities by tool id."""
    return list(session.scalars(select(Annotator).order_by(Annotator.tool_id)))
