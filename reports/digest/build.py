"""Assemble the digest from the window's annotations: one encoding and count table per task."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from reports.digest.alerts import to_alert, top_alerts
from reports.digest.model import (
    AnnotatorRow,
    Counts,
    Digest,
    Headline,
    TaskAgreement,
    TaskSpec,
    Window,
    band,
)
from reports.digest.sections import Section, SectionInput, compute_sections
from reports.metrics import (
    Coefficient,
    Encoded,
    agreement_matrix,
    coincidence,
    confusion_pairs,
    consensus_agreement,
    drift_alerts,
    drift_chart,
    encode,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    pairwise_cohen,
    percent_agreement,
    release_change,
    wilson_interval,
)
from reports.metrics.counts import local_days
from reports.metrics.gold import gold_outcome
from reports.metrics.result import not_available

# The exact 97.5% normal quantile (statsmodels' proportion_confint uses it; 1.96 differs by ~4e-6).
Z95 = 1.959963984540054
TREND_EPS = 0.02  # alpha changes smaller than this are shown as flat
TOP_CONFUSIONS = 5


def _num(x: Any) -> float | None:
    """Plain float or None (NaN, None)."""
    if x is None:
        return None
    x = float(x)
    return x if np.isfinite(x) else None


def as_window(window: Window | tuple[datetime, datetime] | None, df: pd.DataFrame) -> Window:
    """A Window; None means everything in the frame (end just after the last annotation)."""
    if isinstance(window, Window):
        return window
    if window is not None:
        start, end = (pd.Timestamp(t) for t in window)
        start = start.tz_localize("UTC") if start.tzinfo is None else start
        end = end.tz_localize("UTC") if end.tzinfo is None else end
        return Window(start.to_pydatetime(), end.to_pydatetime())
    ts = pd.to_datetime(df["created_at"], utc=True)
    if ts.empty:
        now = pd.Timestamp(0, tz="UTC").to_pydatetime()
        return Window(now, now)
    start = ts.min().normalize()
    end = ts.max().normalize() + pd.Timedelta(days=1)
    return Window(start.to_pydatetime(), end.to_pydatetime())


CATEGORICAL = ("project", "task", "item", "annotator", "label", "cohort", "guideline_version")


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


def _cohen_mean(pairs: pd.DataFrame, pairable: int, raw: float | None) -> Coefficient:
    """Mean of the annotator pairs' kappas that are defined; n/a with a reason when none is."""
    ok = pairs["kappa"].dropna()
    if ok.empty:
        reason = "no annotator pair has a defined kappa (each needs 20 co-labelled items and two labels)"
        return not_available(reason, pairable, raw)
    return Coefficient(value=float(ok.mean()), reason=None, pairable=pairable, raw_agreement=raw)


def _daily(enc: Encoded, days: np.ndarray, day_index: pd.Index, spec: TaskSpec) -> list[dict[str, Any]]:
    """Alpha and percent agreement among the ratings made each day."""
    out = []
    for code, day in enumerate(day_index):
        mask = days == code
        counts = enc.counts(mask)
        alpha = krippendorff_alpha(counts, spec.scale, spec.labels)
        out.append(
            {
                "day": pd.Timestamp(day).date().isoformat(),
                "annotations": int(mask.sum()),
                "alpha": alpha.value,
                "percent": alpha.raw_agreement,
                "reason": alpha.reason,
            }
        )
    return out


def _matrix(enc: Encoded) -> dict[str, Any]:
    percent, counts = agreement_matrix(enc)
    return {
        "annotators": [str(a) for a in percent.index],
        "percent": [[_num(x) for x in row] for row in percent.to_numpy()],
        "counts": counts.to_numpy().astype(int).tolist(),
    }


def _segments(
    enc: Encoded, df: pd.DataFrame, outcome: np.ndarray, spec: TaskSpec, task: str, by: str
) -> list[dict[str, Any]]:
    """Alpha, percent and gold accuracy per value of `by` from masks over the task's one encoding."""
    seg = df[by].iloc[enc.row]
    codes, values = pd.factorize(seg.astype(object).where(seg.notna(), "(unset)").astype(str), sort=True)
    rows = []
    for code, value in enumerate(values):
        mask = codes == code
        alpha = krippendorff_alpha(enc.counts(mask), spec.scale, spec.labels)
        n = int((outcome[mask] >= 0).sum())
        correct = int((outcome[mask] == 1).sum())
        lo, hi = wilson_interval(correct, n, z=Z95)
        rows.append(
            {
                "task": task,
                "value": value,
                "annotations": int(mask.sum()),
                "annotators": len(np.unique(enc.annotator[mask])),
                "alpha": alpha.value,
                "alpha_reason": alpha.reason,
                "percent": alpha.raw_agreement,
                "gold_n": n,
                "gold_accuracy": correct / n if n else None,
                "gold_ci": [float(lo), float(hi)] if n else None,
            }
        )
    return rows


def _previous_alpha(previous: Any, tasks: Mapping[str, TaskSpec], window: Window) -> float | None:
    """Headline alpha of the previous window, from a Digest, its JSON, or the previous window's frame."""
    if previous is None:
        return None
    if isinstance(previous, pd.DataFrame):
        return _frame_alpha(previous, tasks)
    data = previous.to_json() if isinstance(previous, Digest) else previous
    return data["headline"]["alpha"]


def _frame_alpha(frame: pd.DataFrame, tasks: Mapping[str, TaskSpec]) -> float | None:
    """The headline alpha build_digest would give for this frame, without computing the rest of a digest."""
    if not len(frame):
        return None
    unknown = sorted({str(t) for t in frame["task"].unique()} - set(tasks))
    if unknown:
        raise ValueError(f"no guideline labels for task(s) {unknown}: pass a TaskSpec for each")
    alphas = []
    for task, tdf in frame.groupby("task", sort=True, observed=True):
        spec = tasks[str(task)]
        alpha = krippendorff_alpha(encode(tdf, spec.labels).counts(), spec.scale, spec.labels)
        alphas.append((alpha, alpha.pairable))
    return _weighted_alpha(alphas)[0]


def build_digest(
    annotations: pd.DataFrame,
    gold: pd.DataFrame,
    tasks: Mapping[str, TaskSpec],
    window: Window | tuple[datetime, datetime] | None,
    *,
    project: str | None = None,
    previous: Any = None,
    baseline: pd.DataFrame | None = None,
    release_dates: Sequence[date] = (),
    sections: Iterable[Section] = (),
    n_boot: int = 500,
) -> Digest:
    """The digest of `annotations` in `window` (None: all), with drift against `baseline` when given."""
    win = as_window(window, annotations)
    df = _as_categories(_in_window(annotations, win).reset_index(drop=True))
    if project is None:
        project = str(df["project"].iloc[0]) if "project" in df.columns and len(df) else ""
    unknown = sorted({str(t) for t in df["task"].unique()} - set(tasks))
    if unknown:
        raise ValueError(f"no guideline labels for task(s) {unknown}: pass a TaskSpec for each")
    gold = gold if gold is not None else pd.DataFrame(columns=["task", "item", "label"])
    multi = df["task"].nunique() > 1
    day_all = local_days(df["created_at"], "UTC")
    day_codes_all, day_index = pd.factorize(day_all, sort=True)

    task_parts: list[TaskAgreement] = []
    pairs: list[dict[str, Any]] = []
    confusions: list[dict[str, Any]] = []
    alerts = []
    points: list[pd.DataFrame] = []
    segments: dict[str, list[dict[str, Any]]] = {"cohort": [], "guideline_version": []}
    releases: list[dict[str, Any]] = []
    per_ann: dict[str, np.ndarray] = {}  # annotator -> [annotations, cons_n, cons_agree, gold_n, gold_ok]
    gold_items = 0
    pool = pd.concat([baseline, df], ignore_index=True) if baseline is not None and len(baseline) else df

    for task, tdf in df.groupby("task", sort=True, observed=True):
        task = str(task)
        spec = tasks[task]
        tgold = gold[gold["task"].astype(str) == task] if len(gold) else gold
        enc = encode(tdf, spec.labels)
        counts = enc.counts()
        pw = pairwise_cohen(enc, spec.labels, spec.scale)
        alpha = krippendorff_alpha(counts, spec.scale, spec.labels, n_boot=n_boot)
        coefs = {
            "percent": percent_agreement(counts),
            "krippendorff_alpha": alpha,
            "fleiss_kappa": fleiss_kappa(counts, spec.labels),
            "gwet_ac1": gwet_ac1(counts, spec.labels),
            "cohen_kappa_mean": _cohen_mean(pw, alpha.pairable, alpha.raw_agreement),
        }
        days = day_codes_all[tdf.index.to_numpy()][enc.row]
        task_parts.append(
            TaskAgreement(
                task=task,
                scale=spec.scale,
                labels=spec.labels,
                coefficients=coefs,
                pairable=alpha.pairable,
                daily=_daily(enc, days, day_index, spec),
                matrix=_matrix(enc),
                coincidence=coincidence(counts).round(6).tolist(),
            )
        )
        for r in pw.itertuples(index=False):
            pairs.append(
                {
                    "task": task,
                    "a": str(r.a),
                    "b": str(r.b),
                    "n": int(r.n),
                    "percent": _num(r.percent),
                    "kappa": _num(r.kappa),
                    "weights": r.weights,
                    "reason": r.reason,
                }
            )
        conf = confusion_pairs(counts, spec.labels)
        for r in conf[conf["observed"] > 0].head(TOP_CONFUSIONS).itertuples(index=False):
            confusions.append(
                {
                    "task": task,
                    "label_a": r.label_a,
                    "label_b": r.label_b,
                    "observed": float(r.observed),
                    "expected": float(r.expected),
                    "ratio": _num(r.ratio),
                    "excess": float(r.excess),
                }
            )

        cons = consensus_agreement(enc)
        outcome = gold_outcome(enc, tgold) if len(tgold) else np.full(len(enc.unit), -1, dtype=np.int8)
        m = len(enc.annotators)
        gold_n = np.bincount(enc.annotator[outcome >= 0], minlength=m)
        gold_ok = np.bincount(enc.annotator[outcome == 1], minlength=m)
        has_gold = np.zeros(len(enc.units), dtype=bool)
        has_gold[enc.unit[outcome >= 0]] = True
        gold_items += int(has_gold.sum())
        stacked = np.column_stack([cons["items"], cons["n"], cons["agreements"], gold_n, gold_ok])
        for name, row in zip(enc.annotators, stacked, strict=True):
            per_ann[str(name)] = per_ann.get(str(name), 0) + row

        for by in segments:
            if by in tdf.columns and tdf[by].notna().any():
                segments[by].extend(_segments(enc, tdf, outcome, spec, task, by))

        tpool = pool[pool["task"] == task]
        chart = drift_chart(
            tpool,
            tgold if len(tgold) else None,
            baseline_end=(win.start - timedelta(days=1)).date() if pool is not df else None,
            release_dates=release_dates,
        )
        start_day = pd.Timestamp(win.start).date()
        in_win = chart[chart["day"] >= start_day] if len(chart) else chart
        found = [a for a in drift_alerts(in_win, new_only=True)]
        alerts.extend(to_alert(a, task, multi) for a in found)
        flagged = {a.annotator for a in found}
        if flagged:
            pts = chart[chart["annotator"].isin(flagged)].assign(task=task)
            points.append(pts)

        for rd in release_dates:
            at = pd.Timestamp(rd, tz="UTC")
            ts = pd.to_datetime(tpool["created_at"], utc=True)
            before, after = tpool[ts < at], tpool[ts >= at]
            if len(before) and len(after):
                rc = release_change(before, after, spec.labels, spec.scale, n_boot=n_boot)
                releases.append({"task": task, "date": rd.isoformat(), **rc.to_json()})

    annotators = _annotator_rows(per_ann, alerts)
    alpha_vals = [(t.coefficients["krippendorff_alpha"], t.pairable) for t in task_parts]
    headline = _headline(alpha_vals, per_ann, len(df), alerts, _previous_alpha(previous, tasks, win))
    values, reasons, titles = compute_sections(SectionInput(df, gold, dict(tasks), win), sections)
    return Digest(
        project=project,
        window=win,
        counts=Counts(
            annotations=len(df),
            items=int(df.groupby(["task", "item"], observed=True).ngroups) if len(df) else 0,
            annotators=int(df["annotator"].nunique()),
            gold_items=gold_items,
        ),
        headline=headline,
        tasks=task_parts,
        annotators=annotators,
        pairs=pairs,
        confusions=sorted(confusions, key=lambda c: -c["excess"]),
        drift=sorted(alerts, key=lambda a: (-a.severity, a.day)),
        drift_points=_points_json(points),
        segments=segments,
        releases=releases,
        throughput=_throughput(df, day_all),
        guideline=_guideline(tasks, confusions, df),
        sections=values,
        section_reasons=reasons,
        section_titles=titles,
    )


def _annotator_rows(per_ann: dict[str, np.ndarray], alerts: list) -> list[AnnotatorRow]:
    by_ann: dict[str, list[str]] = {}
    for a in sorted(alerts, key=lambda a: (a.day, a.rule)):
        by_ann.setdefault(a.annotator, []).append(a.text)
    rows = []
    for name, (items, cons_n, cons_ok, gold_n, gold_ok) in sorted(per_ann.items()):
        lo, hi = wilson_interval(int(gold_ok), int(gold_n), z=Z95)
        rows.append(
            AnnotatorRow(
                annotator=name,
                annotations=int(items),
                agreement_with_consensus=float(cons_ok / cons_n) if cons_n else None,
                consensus_n=int(cons_n),
                gold_accuracy=float(gold_ok / gold_n) if gold_n else None,
                gold_n=int(gold_n),
                gold_ci=(float(lo), float(hi)) if gold_n else None,
                alerts=by_ann.get(name, []),
            )
        )
    return rows


def _weighted_alpha(alphas: list[tuple[Coefficient, int]]) -> tuple[float | None, str | None]:
    """The pairable-weighted mean of the tasks' alphas, or None with the reasons."""
    ok = [(c.value, p) for c, p in alphas if c.value is not None]
    if ok:
        return float(sum(v * p for v, p in ok) / sum(p for _, p in ok)), None
    return None, "; ".join(c.reason or "" for c, _ in alphas) or "no annotations in the window"


def _headline(
    alphas: list[tuple[Coefficient, int]],
    per_ann: dict[str, np.ndarray],
    n: int,
    alerts: list,
    previous: float | None,
) -> Headline:
    """Alpha is the pairable-weighted mean of the tasks' alphas (the one task's alpha when single)."""
    alpha, reason = _weighted_alpha(alphas)
    trend = None
    if alpha is not None and previous is not None:
        d = alpha - previous
        trend = "up" if d > TREND_EPS else "down" if d < -TREND_EPS else "flat"
    tot = sum(per_ann.values()) if per_ann else np.zeros(5)
    gold_n, gold_ok = int(tot[3]), int(tot[4])
    lo, hi = wilson_interval(gold_ok, gold_n, z=Z95)
    return Headline(
        alpha=alpha,
        alpha_reason=reason,
        alpha_band=band(alpha),
        alpha_previous=previous,
        trend=trend,
        gold_accuracy=gold_ok / gold_n if gold_n else None,
        gold_ci=(float(lo), float(hi)) if gold_n else None,
        gold_n=gold_n,
        annotations=n,
        alerts=top_alerts(alerts),
    )


def _points_json(points: list[pd.DataFrame]) -> list[dict[str, Any]]:
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
                "p": _num(r.p),
                "center": _num(r.center),
                "ucl": _num(r.ucl),
                "ewma": _num(r.ewma),
                "ewma_ucl": _num(r.ewma_ucl),
                "rule": r.rule,
            }
        )
    return out


def _throughput(df: pd.DataFrame, days: pd.Series) -> dict[str, Any]:
    per_day = days.value_counts().sort_index()
    dur = df["duration_s"] if "duration_s" in df.columns else pd.Series(np.nan, index=df.index)
    has = bool(dur.notna().any())
    per_ann = (
        df.assign(d=dur)
        .groupby("annotator", observed=True)
        .agg(annotations=("d", "size"), med=("d", "median"))
    )
    n_days = max(len(per_day), 1)
    return {
        "per_day": [{"day": d.date().isoformat(), "annotations": int(v)} for d, v in per_day.items()],
        "median_duration_s": _num(dur.median()) if has else None,
        "reason": None if has else "no durations recorded (duration_s is empty)",
        "annotators": [
            {
                "annotator": str(a),
                "annotations": int(r.annotations),
                "per_day": float(r.annotations / n_days),
                "median_duration_s": _num(r.med),
            }
            for a, r in per_ann.iterrows()
        ],
    }


def _guideline(
    tasks: Mapping[str, TaskSpec], confusions: list[dict[str, Any]], df: pd.DataFrame
) -> dict[str, Any]:
    """Guideline per task and the sections behind the top confusions (when the spec maps labels)."""
    involved: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for c in sorted(confusions, key=lambda c: -c["excess"]):
        spec = tasks[c["task"]]
        for label in (c["label_a"], c["label_b"]):
            ref = spec.label_sections.get(label)
            if ref is None or spec.guideline is None or (c["task"], ref[0]) in seen:
                continue
            seen.add((c["task"], ref[0]))
            involved.append(
                {
                    "task": c["task"],
                    "slug": spec.guideline,
                    "version": spec.version,
                    "anchor": ref[0],
                    "title": ref[1],
                    "why": f"{c['label_a']} / {c['label_b']} confused",
                }
            )
    present = sorted(str(t) for t in df["task"].unique()) if len(df) else []
    return {
        "tasks": {t: {"slug": tasks[t].guideline, "version": tasks[t].version} for t in present},
        "versions_seen": sorted(str(v) for v in df["guideline_version"].dropna().unique())
        if "guideline_version" in df.columns
        else [],
        "sections": involved,
    }
