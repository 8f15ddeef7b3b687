"""Feedback on answers: "None of these" (unanswered questions) and "Helpful" (precedents), and their reads."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.store.models.annotations import Project
from bot.store.models.feedback import Precedent, UnansweredQuestion
from bot.store.models.guidelines import Guideline, GuidelineVersion
from bot.store.models.slack import Lookup
from guidelines.search.precedent import question_key

# The listing reads at most this many of the newest rows (a digest window, a CLI page).
MAX_ROWS = 10_000


def _utc(dt: datetime) -> datetime:
    # SQLite gives back naive UTC; PostgreSQL aware datetimes.
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def key_hash(key: str) -> str:
    """The index key of a normalised question."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def own_lookup(session: Session, lookup_id: int, user_id: str) -> Lookup | None:
    """The lookup with this id if `user_id` asked it; None for anyone else's or an unknown id."""
    row = session.get(Lookup, lookup_id)
    return row if row is not None and user_id and row.user_id == user_id else None


def channel_guideline(session: Session, channel: str | None) -> str | None:
    """The guideline of the project reporting to `channel` (the first by name), None if none does."""
    if not channel:
        return None
    for _name, slug, channels in session.execute(
        select(Project.name, Project.guideline, Project.channels).order_by(Project.name)
    ):
        if channel in (channels or []):
            return slug
    return None


def current_version(session: Session, slug: str) -> str | None:
    """The current version of a guideline, None if it is not published."""
    return session.scalars(
        select(GuidelineVersion.version)
        .join(Guideline, Guideline.id == GuidelineVersion.guideline_id)
        .where(Guideline.slug == slug, GuidelineVersion.is_current)
    ).first()


def _insert_once(session: Session, row: UnansweredQuestion | Precedent) -> bool:
    """Add a row unique by lookup_id; False (nothing written) when that lookup already has one."""
    model = type(row)
    if session.scalars(select(model.id).where(model.lookup_id == row.lookup_id)).first() is not None:
        return False
    try:
        # A savepoint: a concurrent click that won the race leaves this transaction usable.
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return False
    return True


def record_unanswered(session: Session, lookup: Lookup, guideline: str | None, version: str | None) -> bool:
    """Record the lookup's question as unanswered by `guideline`; False when it already was."""
    row = UnansweredQuestion(
        lookup_id=lookup.id,
        user_id=lookup.user_id,
        channel=lookup.channel,
        query=lookup.query,
        query_key=question_key(lookup.query),
        guideline=guideline,
        version=version,
    )
    return _insert_once(session, row)


def record_precedent(
    session: Session, lookup: Lookup, slug: str, version: str, anchor: str, title: str
) -> bool:
    """Record the section the lookup's asker confirmed; False when this lookup already confirmed one."""
    key = question_key(lookup.query)
    row = Precedent(
        lookup_id=lookup.id,
        user_id=lookup.user_id,
        query_key=key,
        key_hash=key_hash(key),
        guideline=slug,
        version=version,
        anchor=anchor,
        title=title,
    )
    return _insert_once(session, row)


@dataclass(frozen=True)
class UnansweredRow:
    """One question (by normalised text and guideline) marked unanswered, with how often."""

    question: str  # as last asked
    guideline: str | None
    version: str | None  # when last asked
    channel: str | None  # where last asked
    first_asked: datetime
    last_asked: datetime
    times: int  # lookups of it marked "None of these"


def unanswered(
    session: Session,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    guideline: str | None = None,
) -> list[UnansweredRow]:
    """Unanswered questions in [since, until), most asked first, then latest; one row per question."""
    u = UnansweredQuestion
    stmt = select(u).order_by(u.created_at.desc(), u.id.desc()).limit(MAX_ROWS)
    if since is not None:
        stmt = stmt.where(u.created_at >= since)
    if until is not None:
        stmt = stmt.where(u.created_at < until)
    if guideline is not None:
        stmt = stmt.where(u.guideline == guideline)
    groups: dict[tuple[str | None, str], list[UnansweredQuestion]] = {}
    for row in session.scalars(stmt):
        groups.setdefault((row.guideline, row.query_key or row.query), []).append(row)
    rows = [
        UnansweredRow(
            question=rs[0].query,
            guideline=rs[0].guideline,
            version=rs[0].version,
            channel=rs[0].channel,
            first_asked=_utc(rs[-1].created_at),
            last_asked=_utc(rs[0].created_at),
            times=len(rs),
        )
        for rs in groups.values()
    ]
    # Newest first already; a stable sort by count keeps that order among equals.
    return sorted(rows, key=lambda r: -r.times)
