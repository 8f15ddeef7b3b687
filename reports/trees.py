"""Decision-tree usage per tree version: walks, completion, outcomes, where walks are abandoned, time to
outcome. Pure: the recorded steps and the clock (`as_of`) are handed in.

The input is one row per recorded step:

| column | type | meaning |
| --- | --- | --- |
| `walk_id` | str | one walk of one user; a walk is identified by (`tree`, `version`, `walk_id`) |
| `tree` | str | `slug/tree_id` |
| `version` | str | the guideline version the walk is pinned to |
| `step` | int | depth of the node reached: 0 is `start` |
| `node` | str | the node id reached at this step |
| `option` | Int64 | the option chosen at the previous node to get here (NA at step 0) |
| `user` | str | who walked |
| `at` | datetime64[ns, UTC] | when the step was recorded (tz-aware; any zone is read as its instant) |
| `outcome` | str or NA | the leaf's label, on a step that reached a leaf |

How a walk reads (Back and Start over record nothing; the next choice records the node it reaches at
`step` = its depth, so a step number may repeat later in time):

- Its current node is the node of its last row by `at`; a tie on `at` goes to the higher `step`, then to
  the later row of the frame.
- It is *completed* when any of its rows has an outcome; its outcome is the latest such row's (same
  order), so a walker who reached a leaf, went Back and reached another counts once, with the second.
- Otherwise it is *abandoned* when its last row is at least `idle` (30 minutes) before `as_of` -- exactly
  30 minutes idle is abandoned -- and *in progress* when less: in progress is neither completed nor
  abandoned. An abandoned walk is abandoned at its current node.
- Time to outcome: from its earliest row to its latest outcome row, in seconds; the median is over
  completed walks.
- The completion rate is completed / (completed + abandoned): walks still in progress may yet finish, so
  they are left out of it rather than counted as failures. It is n/a (None, with the reason beside it)
  when there are no walks or every walk is in progress; the median is n/a when no walk completed.

Rows are taken as given: choosing the window (`--since`, the digest's) is the caller's job.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from guidelines.errors import VersionError
from guidelines.semver import parse_version

IDLE = timedelta(minutes=30)
TOP_NODES = 5
COLUMNS = ("walk_id", "tree", "version", "step", "node", "option", "user", "at", "outcome")
_WALK = ["tree", "version", "walk_id"]


@dataclass(frozen=True)
class OutcomeCount:
    """One outcome label: how many completed walks ended on it, and their share of completed walks."""

    label: str
    count: int
    share: float


@dataclass(frozen=True)
class NodeCount:
    """A node and how many abandoned walks stopped at it."""

    node: str
    count: int


@dataclass(frozen=True)
class TreeVersionStats:
    """The figures of one tree at one guideline version; a None figure has its reason in `reasons`."""

    tree: str
    version: str
    walks: int
    completed: int
    abandoned: int
    in_progress: int
    completion_rate: float | None
    outcomes: tuple[OutcomeCount, ...]  # most frequent first, then by label
    abandoned_at: tuple[NodeCount, ...]  # the TOP_NODES nodes with most abandoned walks
    median_seconds_to_outcome: float | None
    reasons: dict[str, str] = field(default_factory=dict)  # figure name -> why it is n/a

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict: plain numbers, lists of small objects, the n/a reasons."""
        return {
            "tree": self.tree,
            "version": self.version,
            "walks": self.walks,
            "completed": self.completed,
            "abandoned": self.abandoned,
            "in_progress": self.in_progress,
            "completion_rate": self.completion_rate,
            "outcomes": [{"label": o.label, "count": o.count, "share": o.share} for o in self.outcomes],
            "abandoned_at": [{"node": n.node, "count": n.count} for n in self.abandoned_at],
            "median_seconds_to_outcome": self.median_seconds_to_outcome,
            "reasons": dict(self.reasons),
        }


def stats_to_json(records: Sequence[TreeVersionStats]) -> dict[str, Any]:
    """The `annobot trees stats --json` document: `{"trees": [one object per tree version]}`."""
    return {"trees": [r.to_json() for r in records]}


def _version_key(tree: str, version: str) -> tuple[str, int, Any]:
    try:
        return (tree, 0, parse_version(version))
    except VersionError:
        return (tree, 1, version)


def _utc(moment: datetime | pd.Timestamp, what: str) -> pd.Timestamp:
    ts = pd.Timestamp(moment)
    if ts.tzinfo is None:
        raise ValueError(f"{what} must be timezone-aware (UTC), got {moment!r}")
    return ts.tz_convert("UTC")


def walks_table(steps: pd.DataFrame, as_of: datetime | pd.Timestamp, idle: timedelta = IDLE) -> pd.DataFrame:
    """One row per walk: tree, version, walk_id, first_at, last_at, node, outcome, outcome_at, state.

    `state` is "completed", "abandoned" or "in_progress" (see the module docstring).
    """
    missing = [c for c in COLUMNS if c not in steps.columns]
    if missing:
        raise ValueError(f"the steps frame lacks column(s): {', '.join(missing)}")
    now = _utc(as_of, "as_of")
    out_columns = [*_WALK, "first_at", "last_at", "node", "outcome", "outcome_at", "state"]
    if steps.empty:
        return pd.DataFrame(columns=out_columns)
    if not isinstance(steps["at"].dtype, pd.DatetimeTZDtype):
        raise ValueError(f"column `at` must hold timezone-aware timestamps, got dtype {steps['at'].dtype}")
    frame = steps[[*_WALK, "step", "node", "at", "outcome"]].copy()
    frame["at"] = frame["at"].dt.tz_convert("UTC")
    frame["_row"] = range(len(frame))
    frame = frame.sort_values([*_WALK, "at", "step", "_row"], kind="stable")
    groups = frame.groupby(_WALK, sort=False, dropna=False)
    walks = groups.tail(1).set_index(_WALK)[["at", "node"]].rename(columns={"at": "last_at"})
    walks["first_at"] = groups["at"].min()
    reached = frame[frame["outcome"].notna()].groupby(_WALK, sort=False, dropna=False).tail(1)
    reached = reached.set_index(_WALK)[["outcome", "at"]].rename(columns={"at": "outcome_at"})
    walks = walks.join(reached, how="left").reset_index()
    completed = walks["outcome"].notna()
    idle_long = (now - walks["last_at"]) >= pd.Timedelta(idle)
    walks["state"] = "in_progress"
    walks.loc[~completed & idle_long, "state"] = "abandoned"
    walks.loc[completed, "state"] = "completed"
    return walks[out_columns]


def tree_stats(
    steps: pd.DataFrame,
    as_of: datetime | pd.Timestamp,
    idle: timedelta = IDLE,
    expected: Iterable[tuple[str, str]] = (),
) -> list[TreeVersionStats]:
    """Figures per (tree, version) in the steps, plus each `expected` pair (zero walks when absent).

    Ordered by tree, then version by semver precedence (a non-semver version after, as text).
    """
    walks = walks_table(steps, as_of, idle)
    keys = {(str(t), str(v)) for t, v in walks[["tree", "version"]].drop_duplicates().itertuples(index=False)}
    keys.update(expected)
    by_key = {(str(t), str(v)): g for (t, v), g in walks.groupby(["tree", "version"], sort=False)}
    empty = walks.iloc[0:0]
    return [_one(t, v, by_key.get((t, v), empty)) for t, v in sorted(keys, key=lambda k: _version_key(*k))]


def _one(tree: str, version: str, walks: pd.DataFrame) -> TreeVersionStats:
    states = Counter(walks["state"])
    completed, abandoned = states["completed"], states["abandoned"]
    reasons: dict[str, str] = {}
    settled = completed + abandoned
    rate: float | None = completed / settled if settled else None
    if not len(walks):
        reasons["completion_rate"] = "no walks"
    elif not settled:
        reasons["completion_rate"] = f"all {len(walks)} walks are still in progress"
    done = walks[walks["state"] == "completed"]
    labels = Counter(str(x) for x in done["outcome"])
    outcomes = tuple(
        OutcomeCount(label, n, n / completed)
        for label, n in sorted(labels.items(), key=lambda kv: (-kv[1], kv[0]))
    )
    stops = Counter(str(x) for x in walks.loc[walks["state"] == "abandoned", "node"])
    top = sorted(stops.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_NODES]
    median: float | None = None
    if completed:
        median = float((done["outcome_at"] - done["first_at"]).dt.total_seconds().median())
    else:
        reasons["median_seconds_to_outcome"] = "no completed walks"
    return TreeVersionStats(
        tree=tree,
        version=version,
        walks=len(walks),
        completed=completed,
        abandoned=abandoned,
        in_progress=states["in_progress"],
        completion_rate=rate,
        outcomes=outcomes,
        abandoned_at=tuple(NodeCount(node, n) for node, n in top),
        median_seconds_to_outcome=median,
        reasons=reasons,
    )
