"""`/flag stats [PROJECT]` and `annobot flags stats`: guideline hot spots and the flag figures of a window.

Worker jobs (`fn(engine, …)`, one read transaction, plain data in and out, no Slack client).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from bot.jobs.answer import Answer
from bot.jobs.flag_figures import Taxonomy, read_figures
from bot.slack.blocks import kit
from bot.slack.flag_stats.builder import MAX_SPOTS, stats_blocks
from bot.store.db import session_scope
from bot.store.projects import get_project
from reports.flags.frame import DEFAULT_WEIGHTS

STATS_DAYS = 30  # the default window: long enough for a section to gather flags, short enough to be news


def stats_window(now: datetime, since: datetime | None) -> tuple[datetime, datetime]:
    """[since, now) in UTC; `since` None: the last STATS_DAYS days."""
    now = now.astimezone(UTC)
    start = now - timedelta(days=STATS_DAYS) if since is None else since.astimezone(UTC)
    return start, now


def stats_figures(
    engine: Engine,
    project: str | None,
    now: datetime,
    *,
    weights: Mapping[str, float] | None = None,
    labels: Mapping[str, str] | None = None,
    since: datetime | None = None,
    top: int = MAX_SPOTS,
    configured: bool = False,
) -> tuple[dict[str, Any] | None, str | None]:
    """(the figures JSON, None) or (None, why there is none); NotFoundError for an unknown project.

    `configured`: the project is in the config file, so it exists even before the store has heard of it.
    """
    start, end = stats_window(now, since)
    tax = Taxonomy(
        dict(DEFAULT_WEIGHTS) if weights is None else dict(weights),
        dict(labels or {}),
        "default" if weights is None else "project",
    )
    with session_scope(engine) as session:
        if project is not None and not configured:
            get_project(session, project)  # an unknown project is an error, not "no flags"
        return read_figures(session, project, start, end, end, tax, top=top)


def stats_answer(
    engine: Engine,
    project: str | None,
    now: datetime,
    *,
    weights: Mapping[str, float] | None,
    labels: Mapping[str, str] | None = None,
    since: datetime | None = None,
    configured: bool = False,
) -> Answer:
    """The `/flag stats [PROJECT]` reply as pages of blocks; a worker job (arguments and result pickle).

    - `project`: the project's flags; None: every project's together.
    - `now`: the caller's clock (aware): the window ends there and scores decay to it.
    - `weights`: reason id -> hot-spot weight, from the project's taxonomy; None: the default weights.
      Build weights and `labels` (reason id -> label shown) with
      `bot.jobs.flag_figures.project_taxonomy(config, project)`: `tax.weights`, `tax.labels`.
    - `since`: window start (aware); None: the last STATS_DAYS days.
    - `configured`: `project` is declared in the config file (not yet in the store: no flags, no error).

    Raises NotFoundError (an InputError) for an unknown project; the edge shows it ephemerally.
    """
    figures, reason = stats_figures(
        engine, project, now, weights=weights, labels=labels, since=since, configured=configured
    )
    scope = project if project is not None else "all projects"
    if figures is None:
        text = kit.fallback_text(f"Flag hot spots — {scope}", reason or "no flags")
    else:
        text = kit.fallback_text(
            f"Flag hot spots — {scope}",
            f"{figures['open_cases']} open, {figures['filed']} filed, {figures['resolved']} resolved",
        )
    return Answer(kit.paginate(stats_blocks(figures, project, reason)), text)
