"""The flag figures of one project and window, read from the store: the digest's `flags` section and the
`/flag stats` / `annobot flags stats` answer share them.

The pure core (reports.flags.flag_summary) computes; this module reads the flags frame and the titles
of the top sections in the caller's session, and adds what only the shell knows: the taxonomy's labels,
the sections' titles in the store and the `section_ref` link a Slack button carries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from bot.config import Config
from bot.slack.blocks.section_link import section_ref
from bot.store.flags import flags_frame
from bot.store.guidelines import section_titles
from reports.flags.frame import DEFAULT_WEIGHTS, UNKNOWN_WEIGHT
from reports.flags.hotspots import HALF_LIFE_DAYS, HotSpot, hot_spots
from reports.flags.summary import FlagSummary, flag_summary
from reports.flags.taxonomy import FlagReason

# Keys this module adds to FlagSummary.to_json() (it never changes one the core wrote):
# top level, per hot spot, and per reason count.
ADDED_KEYS = ("other_sections", "scoring")
ADDED_SPOT_KEYS = ("title", "title_version", "link")
ADDED_REASON_KEYS = ("label",)
# Every section of a window, for the "other sections" totals (a window holds far fewer).
_ALL = 1_000_000


@dataclass(frozen=True)
class Taxonomy:
    """Reason weights and labels for scoring and display; `source` says whence ('project' or 'default')."""

    weights: Mapping[str, float]
    labels: Mapping[str, str]
    source: str

    def label(self, reason: str) -> str:
        """The reason's label, or its id when the taxonomy has none."""
        return self.labels.get(reason, reason)


def taxonomy(reasons: Sequence[FlagReason] | None) -> Taxonomy:
    """The taxonomy of a project's configured `flag_reasons`; None (not configured): default weights, ids.

    A configured taxonomy replaces the default one: a default id it does not hold weighs UNKNOWN_WEIGHT,
    as any reason no longer in the taxonomy does (reports.flags.taxonomy.reason_weight).
    """
    if reasons is None:
        return Taxonomy(dict(DEFAULT_WEIGHTS), {}, "default")
    weights = {r: UNKNOWN_WEIGHT for r in DEFAULT_WEIGHTS} | {r.id: r.weight for r in reasons}
    return Taxonomy(weights, {r.id: r.label for r in reasons}, "project")


def project_taxonomy(config: Config, project: str | None) -> Taxonomy:
    """The taxonomy of `project` in the config (its `flag_reasons`); the default for an unlisted one."""
    found = next((p for p in config.projects if p.name == project), None)
    return taxonomy(None if found is None else found.flag_reasons)


def _window(
    frame: pd.DataFrame, since: datetime | None, until: datetime | None, now: datetime
) -> tuple[datetime, datetime]:
    """[since, until); an open end covers every flag and resolution of the frame on that side."""
    moments = pd.concat([frame["filed_at"], frame["resolved_at"]]).dropna()
    if since is None:
        since = min(moments.min().to_pydatetime(), now)
    if until is None:
        # Half-open: one microsecond past the last moment, so it counts (a clock ahead of ours included).
        until = max(now, moments.max().to_pydatetime() + timedelta(microseconds=1))
    return since, until


def _spot_json(
    spot: HotSpot, titles: Mapping[tuple[str, str], tuple[str, str]], tax: Taxonomy
) -> dict[str, Any]:
    data = spot.to_json()
    for r in data["reasons"]:
        r["label"] = tax.label(r["reason"])
    found = titles.get((spot.slug, spot.anchor)) if spot.slug and spot.anchor else None
    data["title"] = None if found is None else found[1]
    data["title_version"] = None if found is None else found[0]
    link = None
    if found is not None and spot.slug and spot.anchor:
        try:
            link = section_ref(spot.slug, found[0], spot.anchor)
        except ValueError:  # cannot happen within the flag limits; a missing button beats a crash
            link = None
    data["link"] = link
    if found is None and spot.anchor is not None:
        data["na_reasons"]["title"] = f"no published version of {spot.slug} has a section #{spot.anchor}"
    return data


def figures_json(
    summary: FlagSummary,
    ranked: Sequence[HotSpot],
    titles: Mapping[tuple[str, str], tuple[str, str]],
    tax: Taxonomy,
    half_life_days: float = HALF_LIFE_DAYS,
) -> dict[str, Any]:
    """summary.to_json() with labels, titles, links, the sections beyond the top and how scores were made."""
    data = summary.to_json()
    for r in data["reasons"]:
        r["label"] = tax.label(r["reason"])
    data["hot_spots"] = [_spot_json(s, titles, tax) for s in summary.hot_spots]
    if summary.no_section is not None:
        data["no_section"] = _spot_json(summary.no_section, titles, tax)
    rest = ranked[len(summary.hot_spots) :]
    data["other_sections"] = {"sections": len(rest), "flags": sum(s.flags for s in rest)}
    data["scoring"] = {
        "now": summary.now.isoformat(),  # scores decay to this moment, the oldest open case ages to it
        "half_life_days": half_life_days,
        "weights": dict(sorted(tax.weights.items())),
        "unknown_weight": UNKNOWN_WEIGHT,
        "taxonomy": tax.source,
    }
    return data


def read_figures(
    session: Session,
    project: str | None,
    since: datetime | None,
    until: datetime | None,
    now: datetime,
    tax: Taxonomy,
    *,
    top: int,
) -> tuple[dict[str, Any] | None, str | None]:
    """(the figures JSON, None), or (None, why) when there are no flags; reads in `session` only.

    `project` None takes every project's flags; `since`/`until` None: from the first / to the last flag.
    """
    frame = flags_frame(session, project)
    if frame.empty:
        return None, "no project has flags" if project is None else f"project '{project}' has no flags"
    start, end = _window(frame, since, until, now)
    if start >= end:
        return None, f"the window is empty ({start.isoformat()} to {end.isoformat()})"
    summary = flag_summary(frame, since=start, until=end, now=now, weights=tax.weights, top=top)
    ranked = hot_spots(frame, now=now, weights=tax.weights, top=_ALL, filed_in=(start, end))
    titles = section_titles(session, [(s.slug, s.anchor) for s in summary.hot_spots if s.slug and s.anchor])
    return figures_json(summary, ranked, titles, tax), None
