"""The App Home view of a user: a worker job."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from bot.slack.home.builder import home_view
from bot.store.db import session_scope
from bot.store.guidelines import list_guidelines
from bot.store.lookups import recent_lookups


def home_view_job(engine: Engine, user_id: str) -> dict[str, Any]:
    """The user's Home tab: guidelines with their current versions and the user's recent lookups."""
    with session_scope(engine) as session:
        summaries = list_guidelines(session)
        current = {g.slug: g.current_version for g in summaries}
        lookups = recent_lookups(session, user_id)
    return home_view(
        [(g.slug, g.title, g.current_version, g.published_at, g.versions) for g in summaries],
        [(lk.query, lk.guideline, current.get(lk.guideline or ""), lk.anchor) for lk in lookups],
    )
