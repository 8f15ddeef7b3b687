"""Assemble the digest from the window's annotations: each task is encoded once, then every part reads it.

The parts live in their own modules: per task (`agreement`), per annotator (`annotators`), over time
(`drift`), window-wide (`summary`); optional sections come from the registry (`sections`). Day
boundaries (daily points, drift days, the window's days, releases) are in the report's zone `tz`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd

from reports.digest import summary
from reports.digest.agreement import SEGMENTS, segment_rows, task_agreement
from reports.digest.annotators import AnnotatorTally
from reports.digest.drift import History, local_midnight, points_json, task_drift, task_releases
from reports.digest.hours import HOUR_NS, Aggregates, daily_outcomes, pairs_alpha
from reports.digest.labels import TaskLabels, prepare_labels
from reports.digest.model import (
    Alert,
    Confusion,
    Counts,
    Digest,
    PairRow,
    ReleaseRow,
    SegmentRow,
    Settings,
    TaskAgreement,
    TaskSpec,
    Window,
)
from reports.digest.sections import Section, SectionInput, compute_sections
from reports.digest.slices import task_slices
from reports.digest.spans import span_task_agreement
from reports.digest.weak import task_weak
from reports.metrics import encode, krippendorff_alpha
from reports.metrics.counts import local_days
from reports.metrics.spans import has_spans

CATEGORICAL = ("project", "task", "item", "annotator", "label", "cohort", "guideline_version")


def as_window(window: Window | tuple[datetime, datetime] | None, df: pd.DataFrame, tz: str = "UTC") -> Window:
    """A Window in zone `tz` (naive bounds are taken in `tz`); None: the local days the frame covers."""
    if isinstance(window, Window):
        return window
    if window is not None:
        start, end = (pd.Timestamp(t) for t in window)
        start = start.tz_localize(tz) if start.tzinfo is None else start.tz_convert(tz)
        end = end.tz_localize(tz) if end.tzinfo is None else end.tz_convert(tz)
        return Window(start.to_pydatetime(), end.to_pydatetime())
    ts = pd.to_datetime(df["created_at"], utc=True)
    if ts.empty:
        epoch = pd.Timestamp(0, tz="UTC").tz_convert(tz).to_pydatetime()
        return Window(epoch, epoch)
    first = ts.min().tz_convert(tz).date()
    last = ts.max().tz_convert(tz).date()
    start = local_midnight(first, tz)
    end = local_midnight(last + timedelta(days=1), tz)
    return Window(start.to_pydatetime(), end.to_pydatetime())


def _as_categories(df: pd.DataFrame) -> pd.DataFrame:
    """String id columns as categoricals: each is hashed once here instead of once per metric."""
    out = df.copy()
    for col in CATEGORICAL:
        if col in out.columns and out[col].dtype == object:
            out[col] = out[col].astype("category")
    return out


def _in_window(df: pd.DataFrame, window: Window) -> pd.DataFrame:
    ts = pd.to_datetime(df["created_at"], utc=True)
    return df[(ts >= pd.Timestamp(window.start)) & (ts < pd.Timestamp(window.end))]


def _check_tasks(df: pd.DataFrame, tasks: Mapping[str, TaskSpec]) -> None:
    unknown = sorted({str(t) for t in df["task"].unique()} - set(tasks))
    if unknown:
        raise ValueError(f"no guideline labels for task(s) {unknown}: pass a TaskSpec for each")


def _effective(tasks: Mapping[str, TaskSpec], labels: Mapping[str, TaskLabels]) -> dict[str, TaskSpec]:
    """Each task's spec as encoded: categories with retired labels and sets, scale `masi` for multi-choice."""
    return {task: labels[task].spec if task in labels else spec for task, spec in tasks.items()}


def _previous_alpha(previous: Any, tasks: Mapping[str, TaskSpec], settings: Settings) -> float | None:
    """Headline alpha of the previous window, from a Digest, its JSON, or the previous window's frame."""
    if previous is None:
        return None
    if isinstance(previous, pd.DataFrame):
        return _frame_alpha(previous, tasks, settings)
    data = previous.to_json() if isinstance(previous, Digest) else previous
    return data["headline"]["alpha"]


def _pairs_previous_alpha(
    pairs: pd.DataFrame, tasks: Mapping[str, TaskSpec], settings: Settings
) -> float | None:
    """Headline alpha of the previous window from its label-pair aggregates (reports.digest.hours).

    Categories as prepare_labels gives them for the labels the previous window used; tasks without a
    spec (not in this digest) are left out.
    """
    if pairs is None or not len(pairs):
        return None
    alphas = []
    for task, tp in pairs.groupby("task", sort=True):
        if str(task) not in tasks:
            continue
        used = sorted(set(tp["label"]) | set(tp["other"]))
        tiny = pd.DataFrame({"task": str(task), "label": used})
        (relabelled,), _, labels = prepare_labels({str(task): tasks[str(task)]}, [tiny], None)
        relabel = dict(zip(used, relabelled["label"].astype(str), strict=True))
        spec = labels[str(task)].spec
        got = pairs_alpha(tp, tuple(spec.labels), spec.scale, relabel, settings.min_pairable)
        alphas.append((got.value, got.pairable))
    ok = [(v, p) for v, p in alphas if v is not None]
    return float(sum(v * p for v, p in ok) / sum(p for _, p in ok)) if ok else None


def _frame_alpha(
    frame: pd.DataFrame, tasks: Mapping[str, TaskSpec], settings: Settings | None = None
) -> float | None:
    """The headline alpha build_digest would give for this frame, without computing the rest of a digest."""
    if not len(frame):
        return None
    _check_tasks(frame, tasks)
    alphas = []
    for task, tdf in frame.groupby("task", sort=True, observed=True):
        if has_spans(tdf):
            continue  # a span task is not in the headline alpha (as in build_digest)
        spec = tasks[str(task)]
        minimum = (settings or Settings()).min_pairable
        alpha = krippendorff_alpha(
            encode(tdf, spec.labels).counts(), spec.scale, spec.labels, min_pairable=minimum
        )
        alphas.append((alpha, alpha.pairable))
    return summary.weighted_alpha(alphas)[0]


def build_digest(
    annotations: pd.DataFrame,
    gold: pd.DataFrame | None,
    tasks: Mapping[str, TaskSpec],
    window: Window | tuple[datetime, datetime] | None,
    *,
    project: str | None = None,
    previous: Any = None,
    baseline: pd.DataFrame | None = None,
    release_dates: Sequence[date] = (),
    sections: Iterable[Section] = (),
    n_boot: int = 500,
    tz: str = "UTC",
    item_lengths: Mapping[str, int] | None = None,
    settings: Settings | None = None,
    aggregates: Aggregates | None = None,
) -> Digest:
    """The digest of `annotations` in `window` (None: all), with drift against `baseline` when given.

    `aggregates` (the store's hourly tables, reports.digest.hours): the drift chart reads its daily counts
    from them and, when `previous` is None, the previous window's alpha too (docs/digest.md).

    `tz` is an IANA zone name: the days of the daily trend, drift charts, throughput and the window.
    `item_lengths` maps items to their text length: span tasks then get alpha over character positions.
    `settings`: the minimum of pairable items and the ordinal kappa weights (default: 20, quadratic).
    """
    settings = settings or Settings()
    win = as_window(window, annotations, tz)
    df = _as_categories(_in_window(annotations, win).reset_index(drop=True))
    if project is None:
        project = str(df["project"].iloc[0]) if "project" in df.columns and len(df) else ""
    _check_tasks(df, tasks)
    gold = gold if gold is not None else pd.DataFrame(columns=["task", "item", "label"])
    # One canonical label text per value, and each task's categories, before anything is encoded.
    prev_frame = previous if isinstance(previous, pd.DataFrame) else None
    (df, baseline, prev_frame), gold, labels = prepare_labels(tasks, [df, baseline, prev_frame], gold)
    if prev_frame is not None:
        previous = prev_frame
    specs = _effective(tasks, labels)
    name_task = df["task"].nunique() > 1
    day_all = local_days(df["created_at"], tz)
    day_codes, day_index = pd.factorize(day_all, sort=True)
    has_baseline = baseline is not None and len(baseline) > 0
    pool = pd.concat([baseline, df], ignore_index=True) if has_baseline else df
    daily = None
    if aggregates is not None:
        hours = aggregates.drift["hour"].to_numpy()
        has_baseline = bool((hours * HOUR_NS < pd.Timestamp(win.start).value).any())
        daily = daily_outcomes(aggregates.drift, tz)
    history = History(pool, has_baseline, win, tz, release_dates, daily)
    last_day = (pd.Timestamp(win.end).tz_convert(tz) - pd.Timedelta(1, "us")).date()

    agreement: list[TaskAgreement] = []
    pairs: list[PairRow] = []
    confusions: list[Confusion] = []
    segments: dict[str, list[SegmentRow]] = {by: [] for by in SEGMENTS}
    alerts: list[Alert] = []
    points: list[pd.DataFrame] = []
    releases: list[ReleaseRow] = []
    tally = AnnotatorTally()
    for part in task_slices(df, gold, specs, day_codes, labels, settings):
        if part.spans:
            # Item-level figures (segments, drift, below-the-team, releases) read one label per item and
            # annotator, which a span task does not have: it gets span agreement and span counts only.
            row_days = day_codes[part.frame.index.to_numpy()]
            span_part = span_task_agreement(
                part, day_index, row_days, item_lengths, min_pairable=settings.min_pairable
            )
            agreement.append(span_part.task)
            tally.add(part)
            continue
        agreed = task_agreement(part, day_index, n_boot)
        agreement.append(agreed.task)
        pairs += agreed.pairs
        confusions += agreed.confusions
        tally.add(part)
        for by in SEGMENTS:
            segments[by] += segment_rows(part, by)
        drift = task_drift(part, history, name_task)
        alerts += drift.alerts + task_weak(part, last_day, name_task)
        if drift.points is not None:
            points.append(drift.points)
        releases += task_releases(part, history, n_boot)

    alphas = [(t.coefficients["krippendorff_alpha"], t.pairable) for t in agreement]
    if previous is None and aggregates is not None and aggregates.previous is not None:
        previous_alpha = _pairs_previous_alpha(aggregates.previous, tasks, settings)
    else:
        previous_alpha = _previous_alpha(previous, specs, settings)
    values, reasons, titles = compute_sections(SectionInput(df, gold, dict(tasks), win), sections)
    return Digest(
        project=project,
        window=win,
        counts=Counts(
            annotations=len(df),
            items=int(df.groupby(["task", "item"], observed=True).ngroups) if len(df) else 0,
            annotators=int(df["annotator"].nunique()),
            gold_items=tally.gold_items,
        ),
        headline=summary.headline(
            alphas, tally.gold_totals(), len(df), alerts, previous_alpha, [t.task for t in agreement]
        ),
        tasks=agreement,
        annotators=tally.rows(alerts),
        pairs=pairs,
        confusions=sorted(confusions, key=lambda c: -c.excess),
        drift=sorted(alerts, key=lambda a: (-a.severity, a.day)),
        drift_points=points_json(points),
        segments=segments,
        releases=releases,
        throughput=summary.throughput(df, day_all),
        guideline=summary.guideline(tasks, confusions, df),
        sections=values,
        section_reasons=reasons,
        section_titles=titles,
        settings=settings,
    )
