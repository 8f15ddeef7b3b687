"""The over-time parts of the digest: drift alerts with their chart points, and alpha across releases."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd

from reports.digest.alerts import to_alert
from reports.digest.model import Alert, ReleaseRow, Window
from reports.digest.slices import TaskSlice
from reports.metrics import drift_alerts, drift_chart, release_change
from reports.metrics.drift import chart_from_daily
from reports.metrics.result import as_float


def local_midnight(day: date, tz: str) -> pd.Timestamp:
    """The instant `day` starts in `tz` (where midnight is skipped, the first instant of the day)."""
    return pd.Timestamp(day).tz_localize(tz, ambiguous=True, nonexistent="shift_forward")


@dataclass(frozen=True, eq=False)
class History:
    """What the drift charts and release comparisons read beyond the window itself."""

    pool: pd.DataFrame  # the baseline frame before the window, then the window (or the window alone)
    has_baseline: bool
    window: Window
    tz: str
    release_dates: Sequence[date]
    # Daily counts from the hourly aggregates (reports.digest.hours); None: drift from `pool`'s rows.
    daily: pd.DataFrame | None = None

    @property
    def start_day(self) -> date:
        """The window's first local day."""
        return pd.Timestamp(self.window.start).tz_convert(self.tz).date()


@dataclass(frozen=True)
class DriftPart:
    """One task's new drift alerts in the window, and the chart points of the annotators they flag."""

    alerts: list[Alert]
    points: pd.DataFrame | None


def task_drift(part: TaskSlice, history: History, name_task: bool) -> DriftPart:
    """Drift signals (the CUSUM over gold and consensus) that start inside the window (first day of a run), phrased."""
    task = part.task
    start_day = history.start_day
    baseline_end = start_day - timedelta(days=1) if history.has_baseline else None
    if history.daily is not None:
        daily = history.daily[(history.daily["task"] == str(task)).to_numpy()].reset_index(drop=True)
        chart = chart_from_daily(daily, baseline_end=baseline_end, release_dates=history.release_dates)
    else:
        tpool = history.pool[history.pool["task"] == task]
        chart = drift_chart(
            tpool,
            part.gold if len(part.gold) else None,
            baseline_end=baseline_end,
            release_dates=history.release_dates,
            tz=history.tz,
        )
    in_win = chart[chart["day"] >= start_day] if len(chart) else chart
    found = list(drift_alerts(in_win, new_only=True))
    flagged = {a.annotator for a in found}
    points = chart[chart["annotator"].isin(flagged)].assign(task=task) if flagged else None
    return DriftPart([to_alert(a, task, name_task) for a in found], points)


def task_releases(part: TaskSlice, history: History, n_boot: int) -> list[ReleaseRow]:
    """Alpha before vs after each release (local midnight of its day) with data on both sides."""
    tpool = history.pool[history.pool["task"] == part.task]
    rows = []
    for rd in history.release_dates:
        at = local_midnight(rd, history.tz)
        ts = pd.to_datetime(tpool["created_at"], utc=True)
        before, after = tpool[ts < at], tpool[ts >= at]
        if len(before) and len(after):
            rc = release_change(
                before,
                after,
                part.spec.labels,
                part.spec.scale,
                n_boot=n_boot,
                min_pairable=part.settings.min_pairable,
            )
            rows.append(ReleaseRow(part.task, rd, rc))
    return rows


def points_json(points: list[pd.DataFrame]) -> list[dict[str, Any]]:
    """The flagged annotators' chart points as the contract's `drift_points`."""
    if not points:
        return []
    pts = pd.concat(points, ignore_index=True)
    out = []
    for r in pts.itertuples(index=False):
        out.append(
            {
                "task": r.task,
                "annotator": str(r.annotator),
                "source": r.source,
                "day": r.day.isoformat(),
                "n": int(r.n),
                "p": as_float(r.p),
                "center": as_float(r.center),
                "ucl": as_float(r.ucl),
                "ewma": as_float(r.ewma),
                "ewma_ucl": as_float(r.ewma_ucl),
                "rule": r.rule,
            }
        )
    return out
