"""The App Home view of a user: a worker job."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from bot.slack.home.builder import CASES_SHOWN, LeadCases, home_view
from bot.store.db import session_scope
from bot.store.flags import list_cases
from bot.store.guidelines import list_guidelines
from bot.store.lookups import recent_lookups


def home_view_job(
    engine: Engine, user_id: str, lead_projects: Sequence[str] = (), now: datetime | None = None
) -> dict[str, Any]:
    """The user's Home tab: guidelines, recent lookups and, for a lead, the open flag cases.

    `lead_projects`: the projects whose flag queue the user may see (the edge decides).
    """
    with session_scope(engine) as session:
        summaries = list_guidelines(session)
        current = {g.slug: g.current_version for g in summaries}
        lookups = recent_lookups(session, user_id)
        cases = []
        for project in lead_projects:
            cases += list_cases(session, project=project, status=("open", "assigned"))
    cases.sort(key=lambda c: (c.opened_at, c.id))
    lead = None
    if lead_projects:
        oldest = tuple(
            (c.id, c.project, c.item_id, c.opened_at, c.assignee, len(c.flags)) for c in cases[:CASES_SHOWN]
        )
        lead = LeadCases(tuple(lead_projects), len(cases), oldest, now)
    return home_view(
        [(g.slug, g.title, g.current_version, g.published_at, g.versions) for g in summaries],
        [(lk.query, lk.guideline, current.get(lk.guideline or ""), lk.anchor) for lk in lookups],
        lead,
    )
