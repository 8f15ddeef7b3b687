"""`/quality` **Post to channel**, once: a digest of one project and window is posted to a channel by the
first click on any replica; later clicks are told who posted it (or is posting it).

The claim is a row keyed by a hash of (channel, project, window) inserted before the post, in its own
transaction. A post Slack refuses releases it (the lead may retry once the bot is invited); a claim
whose replica died before posting is taken over after SHARE_LEASE.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.store.models.schedules import DigestShare

# Longer than computing and posting one digest: a claim this old without a message was left by a
# replica that died, and the next click takes it over.
SHARE_LEASE = timedelta(minutes=5)


@dataclass(frozen=True)
class Share:
    """Who posted (or is posting) a digest to a channel, and its message once posted."""

    key: str
    channel: str
    posted_by: str
    claimed_at: datetime
    message_ts: str | None


def share_key(channel: str, project: str, start: datetime, end: datetime) -> str:
    """The claim's key: a hash of the channel, the project and the window's instants (in UTC)."""
    parts = (channel, project, start.astimezone(UTC).isoformat(), end.astimezone(UTC).isoformat())
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _insert(session: Session) -> Any:
    return (pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert)(DigestShare)


def _share(row: DigestShare) -> Share:
    at = row.claimed_at if row.claimed_at.tzinfo else row.claimed_at.replace(tzinfo=UTC)  # SQLite: naive
    return Share(row.key, row.channel, row.posted_by, at.astimezone(UTC), row.message_ts)


def claim_share(
    session: Session, key: str, *, channel: str, project: str, user: str, now: datetime
) -> Share | None:
    """None when this click may post (claimed now, or taken over from a dead claim); else the share
    that holds it."""
    inserted = session.execute(
        _insert(session)
        .values(key=key, channel=channel, project=project, posted_by=user, claimed_at=now)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(DigestShare.key)
    ).scalar_one_or_none()
    if inserted is not None:
        return None
    taken = session.execute(
        update(DigestShare)
        .where(
            DigestShare.key == key,
            DigestShare.message_ts.is_(None),
            DigestShare.claimed_at < now - SHARE_LEASE,
        )
        .values(posted_by=user, claimed_at=now)
        .returning(DigestShare.key)
    ).scalar_one_or_none()
    if taken is not None:
        return None
    return _share(session.execute(select(DigestShare).where(DigestShare.key == key)).scalar_one())


def release_share(session: Session, key: str, user: str) -> None:
    """Forget `user`'s claim of `key` whose post Slack refused, so that a later click may post."""
    session.execute(
        delete(DigestShare).where(
            DigestShare.key == key, DigestShare.posted_by == user, DigestShare.message_ts.is_(None)
        )
    )


def record_share(session: Session, key: str, ts: str) -> None:
    """The posted message's ts."""
    session.execute(update(DigestShare).where(DigestShare.key == key).values(message_ts=ts))
