"""Per-annotator quality drift: a CUSUM over gold and consensus evidence; p-chart and EWMA per source for the charts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from reports.metrics.consensus import DISAGREES, loo_outcome
from reports.metrics.counts import encode, local_days
from reports.metrics.gold import gold_outcome

P_RULE = "p-chart above UCL"
EWMA_RULE = "EWMA above limit"
CUSUM_RULE = "CUSUM above h"
RULES = (P_RULE, EWMA_RULE, CUSUM_RULE)
# Chosen by bench/alerts.py (BENCHMARKS.md "Alerts worth acting on"): see the design note above drift_chart.
CUSUM_SHIFT = (
    0.15  # alternative error rate: centre + 0.15 per source (measured against 0.2: bench/alerts_sweep.py)
)
CUSUM_H = 6.25  # decision interval, log-likelihood-ratio units
CUSUM_LEAD = 2  # days before a baseline frame's end that feed the CUSUM instead of the centre
COLUMNS = [
    "annotator",
    "source",
    "segment",
    "day",
    "n",
    "errors",
    "p",
    "baseline",
    "center",
    "ucl",
    "lcl",
    "ewma",
    "ewma_ucl",
    "cusum",
    "cusum_h",
    "run_errors",
    "run_n",
    "rule",
]


@dataclass(frozen=True)
class DriftAlert:
    """One chart signal: who, which day, which rule, the plotted value and the limit it crossed."""

    annotator: str
    day: date
    rule: str
    value: float
    limit: float
    source: str
    n: int
    # A CUSUM alert over several sources: (source, error rate over the run, baseline rate, items) each.
    parts: tuple[tuple[str, float, float, int], ...] = ()

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {**self.__dict__, "day": self.day.isoformat(), "parts": [list(p) for p in self.parts]}


def _daily_outcomes(df: pd.DataFrame, gold: pd.DataFrame | None, tz: str) -> pd.DataFrame:
    """Per annotator-day: gold items and errors; items compared with the others' majority, disagreements."""
    enc = encode(df)
    day = local_days(df["created_at"].iloc[enc.row], tz)
    day_codes, days = pd.factorize(day, sort=True)
    loo = loo_outcome(enc)
    gold_res = gold_outcome(enc, gold) if gold is not None else np.full(len(enc.unit), -1, dtype=np.int8)
    n_days = max(len(days), 1)
    m = len(enc.annotators)
    # Several tasks: each (task, annotator) is its own chart with its own team (bench/alerts.py stacks
    # independent teams as tasks); the digest passes one task at a time.
    tasks = enc.tasks if enc.tasks is not None else pd.Index([None])
    # MultiIndex codes come in the smallest integer type: widen before arithmetic.
    task_code = (
        enc.units.codes[0][enc.unit].astype(np.int64)
        if enc.tasks is not None
        else np.zeros(len(enc.unit), np.int64)
    )
    key = (task_code * m + enc.annotator) * n_days + day_codes
    size = len(tasks) * m * n_days
    out = pd.DataFrame(
        {
            "task": np.repeat(np.asarray(tasks, dtype=object), m * n_days),
            "annotator": np.tile(np.repeat(enc.annotators.to_numpy(), n_days), len(tasks)),
            "day": np.tile(np.asarray(days), len(tasks) * m) if len(days) else [],
            "loo_n": np.bincount(key, weights=loo >= 0, minlength=size),
            "loo_err": np.bincount(key, weights=loo == DISAGREES, minlength=size),
            "gold_n": np.bincount(key, weights=gold_res >= 0, minlength=size),
            "gold_err": np.bincount(key, weights=gold_res == 0, minlength=size),
        }
    )
    return out[np.bincount(key, minlength=size) > 0].reset_index(drop=True)


def _ewma(points: pd.DataFrame, lam: float, width: float) -> tuple[np.ndarray, np.ndarray]:
    """EWMA of the daily rate per chart with exact limits for varying n, starting at the centre."""
    ewma = np.full(len(points), np.nan)
    ucl = np.full(len(points), np.nan)
    mon = points["monitor"].to_numpy()
    if not mon.any():
        return ewma, ucl
    sub = points[mon]
    chart = pd.factorize(sub["chart"])[0]
    step = sub.groupby("chart").cumcount().to_numpy()
    shape = (chart.max() + 1, step.max() + 1)
    centre, base_var = np.zeros(shape[0]), np.zeros(shape[0])
    centre[chart] = sub["center"].to_numpy()
    base_var[chart] = sub["base_var"].to_numpy()
    p, var = np.full(shape, np.nan), np.full(shape, np.nan)
    p[chart, step] = sub["p"].to_numpy()
    var[chart, step] = centre[chart] * (1 - centre[chart]) / sub["n"].to_numpy()
    z_out, v_out = np.full(shape, np.nan), np.full(shape, np.nan)
    z, v = centre.copy(), np.zeros(shape[0])
    # One step per monitored day, vectorised over all charts: the recursion over time cannot be avoided.
    for t in range(shape[1]):
        live = ~np.isnan(p[:, t])
        z = np.where(live, lam * p[:, t] + (1 - lam) * z, z)
        v = np.where(live, (1 - lam) ** 2 * v + lam**2 * var[:, t], v)
        z_out[:, t], v_out[:, t] = z, v
    idx = np.flatnonzero(mon)
    ewma[idx] = z_out[chart, step]
    # z_t - centre = sum_j lam (1-lam)^(t-j) (p_j - centre): the estimated centre enters with weight
    # 1 - (1-lam)^t, so its sampling variance adds (1 - (1-lam)^t)^2 Var(centre) (zero if treated as known).
    weight = (1 - (1 - lam) ** (step + 1)) ** 2
    ucl[idx] = centre[chart] + width * np.sqrt(v_out[chart, step] + weight * base_var[chart])
    return ewma, ucl


def cusum_weights(p0: np.ndarray | float, p1: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """Log-likelihood ratio of error rate p1 against p0 per error and per correct item (Page's binomial CUSUM)."""
    p0, p1 = np.asarray(p0, dtype=float), np.asarray(p1, dtype=float)
    return np.log(p1 / p0), np.log((1 - p1) / (1 - p0))


def binomial_llr(errors: np.ndarray, n: np.ndarray, p0: np.ndarray, p1: np.ndarray) -> np.ndarray:
    """Per chart (row) and day (column): x ln(p1/p0) + (n - x) ln((1-p1)/(1-p0)); NaN where there is no data."""
    errors, n = np.atleast_2d(np.asarray(errors, dtype=float)), np.atleast_2d(np.asarray(n, dtype=float))
    w_err, w_ok = cusum_weights(
        np.asarray(p0, dtype=float).reshape(-1), np.asarray(p1, dtype=float).reshape(-1)
    )
    return errors * w_err[:, None] + (n - errors) * w_ok[:, None]


def page_cusum(
    steps: np.ndarray, h: float, *totals: np.ndarray
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Page's CUSUM over daily log-likelihood-ratio steps per row, reset to 0 after each alarm.

    S_t = max(0, S_{t-1} + step_t), alarm when S_t > h; a NaN step (no data that day) carries S over.
    Returns (S, alarm, runs): S is NaN where the step is; each of `totals` (same shape as steps, e.g. the
    day's errors and items) summed over the run, the days since S last left 0 (the evidence behind S).
    """
    steps = np.atleast_2d(np.asarray(steps, dtype=float))
    tots = [np.nan_to_num(np.atleast_2d(np.asarray(t, dtype=float))) for t in totals]
    s_out = np.full(steps.shape, np.nan)
    runs_out = [np.full(steps.shape, np.nan) for _ in tots]
    alarm = np.zeros(steps.shape, dtype=bool)
    s = np.zeros(steps.shape[0])
    run = [np.zeros(steps.shape[0]) for _ in tots]
    # The recursion over time is sequential; each step is vectorised over every chart.
    for t in range(steps.shape[1]):
        live = ~np.isnan(steps[:, t])
        s = np.where(live, np.maximum(0.0, s + np.nan_to_num(steps[:, t])), s)
        fired = live & (s > h)
        s_out[live, t] = s[live]
        alarm[:, t] = fired
        for k, tot in enumerate(tots):
            run[k] = np.where(live, np.where(s > 0, run[k] + tot[:, t], 0.0), run[k])
            runs_out[k][live, t] = run[k][live]
            run[k] = np.where(fired, 0.0, run[k])
        s = np.where(fired, 0.0, s)
    return s_out, alarm, runs_out


def binomial_cusum(
    errors: np.ndarray, n: np.ndarray, p0: np.ndarray, p1: np.ndarray, h: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Page's binomial CUSUM per row (chart) over columns (days), reset to 0 after each alarm; NaN n = no data.

    S_t = max(0, S_{t-1} + x_t ln(p1/p0) + (n_t - x_t) ln((1-p1)/(1-p0))), alarm when S_t > h.
    Returns (S, alarm, run_errors, run_n): S is NaN where the day has no data (the sum carries over it);
    the run is the days since S last left 0, i.e. the evidence behind the current sum.
    """
    errors, n = np.atleast_2d(np.asarray(errors, dtype=float)), np.atleast_2d(np.asarray(n, dtype=float))
    s, alarm, (run_x, run_n) = page_cusum(binomial_llr(errors, n, p0, p1), h, errors, n)
    return s, alarm, run_x, run_n


def _cusum(points: pd.DataFrame, shift: float, h: float) -> dict[str, np.ndarray]:
    """One CUSUM per task, annotator and segment over its `run` days: each day's step sums the log-likelihood
    ratios of the sources with data that day (gold, consensus), each against its own centre -> centre + shift.
    Returns per point the annotator-day's S and alarm, and the point's own source's errors and items over the run.
    """
    out = {c: np.full(len(points), np.nan) for c in ("cusum", "run_errors", "run_n")}
    out["alarm"] = np.zeros(len(points), dtype=bool)
    run = points["run"].to_numpy()
    if not run.any():
        return out
    sub = points[run]
    chart = sub.groupby(["task", "annotator", "segment"], sort=False, dropna=False).ngroup().to_numpy()
    # Step index: the chart's days with data, in order (codes of the sorted (chart, day) pairs, minus the
    # chart's first code), shared by its sources.
    dn = sub["day"].to_numpy().astype("datetime64[D]").astype(np.int64)
    span = int(dn.max() - dn.min()) + 1
    code = np.unique(chart * span + (dn - dn.min()), return_inverse=True)[1].reshape(-1)
    step = code - pd.Series(code).groupby(chart).transform("min").to_numpy()
    shape = (chart.max() + 1, step.max() + 1)
    p0 = sub["center"].to_numpy(dtype=float)
    w_err, w_ok = cusum_weights(p0, np.minimum(p0 + shift, 0.999))
    x, n = sub["errors"].to_numpy(dtype=float), sub["n"].to_numpy(dtype=float)
    steps = np.full(shape, np.nan)
    has = np.zeros(shape, dtype=bool)
    has[chart, step] = True
    steps[has] = 0.0
    np.add.at(steps, (chart, step), x * w_err + (n - x) * w_ok)
    sources = sub["source"].to_numpy()
    names = sorted(set(sources))
    totals = []
    for name in names:
        mine = sources == name
        xs, ns = np.zeros(shape), np.zeros(shape)
        xs[chart[mine], step[mine]] = x[mine]
        ns[chart[mine], step[mine]] = n[mine]
        totals += [xs, ns]
    s, alarm, runs = page_cusum(steps, h, *totals)
    idx = np.flatnonzero(run)
    out["cusum"][idx] = s[chart, step]
    out["alarm"][idx] = alarm[chart, step]
    for k, name in enumerate(names):
        mine = sources == name
        out["run_errors"][idx[mine]] = runs[2 * k][chart[mine], step[mine]]
        out["run_n"][idx[mine]] = runs[2 * k + 1][chart[mine], step[mine]]
    return out


def _baseline_centre(
    pts: pd.DataFrame, prior_strength: float, min_baseline_n: int
) -> tuple[pd.Series, pd.Series]:
    """Per chart: the baseline error rate shrunk towards the team's, and its effective item count."""
    base = pts[pts["baseline"]].groupby("chart")[["errors", "n"]].sum()
    base = base.join(pts.groupby("chart")[["task", "source", "segment"]].first())
    team = base.groupby(["task", "source", "segment"], dropna=False)[["errors", "n"]].transform("sum")
    team_rate = team["errors"] / team["n"]
    # Shrinking towards the team's baseline rate keeps a zero-error baseline from giving zero-width limits.
    n_eff = base["n"] + prior_strength
    centre = (base["errors"] + prior_strength * team_rate) / n_eff
    centre = np.maximum(centre, 0.5 / n_eff)
    centre[base["n"] < min_baseline_n] = np.nan
    return centre, n_eff


# Design of drift_chart, and why:
# - Centre: the annotator's pooled baseline error rate (first `baseline_days` days with data of each chart,
#   or days up to `baseline_end` in the first segment; each release date starts a segment with a new
#   baseline), shrunk towards the team's with `prior_strength` pseudo-items so a zero-error baseline does not
#   give zero-width limits. Baseline days never alarm; charts with < `min_baseline_n` baseline items are off.
#   14 baseline days, as the baseline frame `annobot digest` reads before a window: on the synthetic 30-day
#   team of tests/reports/test_drift.py a 7-day baseline gave false alarms for a steady annotator in 9.7% of
#   300 seeds, 14 days 6.0%, and the better centre also catches a 90% -> 70% drop sooner (within one day
#   in 93% of seeds instead of 88%). The cost: after a release a chart is quiet for 14 days, not 7.
# - p-chart: centre ± sigma·sqrt(centre(1-centre)·(1/n + 1/n_base)). The 1/n_base term is the centre's own
#   sampling variance (estimated_centre=False drops it: the textbook centre ± 3·sqrt(centre(1-centre)/n)).
#   A point alarms when n >= min_n and (errors - 1/2)/n > UCL (continuity=True): at n = 40, p = 0.1 the
#   binomial's right skew puts 0.51% of days above the plain 3σ line instead of the nominal 0.135%; the
#   half-error correction brings that to 0.15%.
# - EWMA: z_0 = centre, z_t = lam·p_t + (1-lam)·z_{t-1} over monitored days, exact limits for varying n
#   (V_t = (1-lam)^2·V_{t-1} + lam^2·centre(1-centre)/n_t) plus the centre's variance term. Without that
#   term a 7-day baseline of 280 items (SE of the centre 0.018) is as noisy as the EWMA itself (0.016) and
#   the EWMA false-alarm rate doubles.
# - CUSUM (the alerting rule): one per annotator and segment; each day's step is the sum over the sources
#   with data that day (gold, consensus) of x ln(p1/p0) + (n-x) ln((1-p1)/(1-p0)), each source against its
#   own centre p0 and p1 = p0 + cusum_shift, alarm above cusum_h, reset after an alarm. Summing the two
#   ratios is the likelihood ratio of both rates shifting together, so a day's gold and shared items decide
#   together; with one source it is that source's binomial CUSUM. Measured (bench/alerts.py, 300 seeds of
#   a 12-person team's daily digests): 0.59 false CUSUM alerts per 60 days and a 90% -> 70% drop caught
#   within one day in 97.3% of seeds; gold alone at h = 5 was 1.24 (50 seeds) and 93.7% (rule level).
def drift_chart(
    df: pd.DataFrame,
    gold: pd.DataFrame | None = None,
    *,
    baseline_end: date | None = None,
    baseline_days: int = 14,
    release_dates: Sequence[date] = (),
    min_n: int = 20,
    min_baseline_n: int = 100,
    prior_strength: float = 20.0,
    sigma: float = 3.0,
    lam: float = 0.2,
    ewma_width: float = 3.0,
    estimated_centre: bool = True,
    continuity: bool = True,
    rules: Sequence[str] = (CUSUM_RULE,),
    cusum_shift: float = CUSUM_SHIFT,
    cusum_h: float = CUSUM_H,
    cusum_lead: int = CUSUM_LEAD,
    tz: str = "UTC",
) -> pd.DataFrame:
    """Chart points per annotator, source ('gold'/'consensus'), segment, day, with limits and rule fired."""
    return chart_from_daily(
        _daily_outcomes(df, gold, tz),
        baseline_end=baseline_end,
        baseline_days=baseline_days,
        release_dates=release_dates,
        min_n=min_n,
        min_baseline_n=min_baseline_n,
        prior_strength=prior_strength,
        sigma=sigma,
        lam=lam,
        ewma_width=ewma_width,
        estimated_centre=estimated_centre,
        continuity=continuity,
        rules=rules,
        cusum_shift=cusum_shift,
        cusum_h=cusum_h,
        cusum_lead=cusum_lead,
    )


def chart_from_daily(
    daily: pd.DataFrame,
    *,
    baseline_end: date | None = None,
    baseline_days: int = 14,
    release_dates: Sequence[date] = (),
    min_n: int = 20,
    min_baseline_n: int = 100,
    prior_strength: float = 20.0,
    sigma: float = 3.0,
    lam: float = 0.2,
    ewma_width: float = 3.0,
    estimated_centre: bool = True,
    continuity: bool = True,
    rules: Sequence[str] = (CUSUM_RULE,),
    cusum_shift: float = CUSUM_SHIFT,
    cusum_h: float = CUSUM_H,
    cusum_lead: int = CUSUM_LEAD,
) -> pd.DataFrame:
    """drift_chart from daily counts: task, annotator, day (naive midnight), loo_n, loo_err, gold_n, gold_err."""
    if daily.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
    # Each source is its own chart (gold error rate, disagreement with the others' majority: different
    # levels, so each has its own centre and p-chart); the CUSUM sums the evidence of both (see _cusum).
    both = pd.concat([daily.assign(source="gold"), daily.assign(source="consensus")], ignore_index=True)
    gold_src = (both["source"] == "gold").to_numpy()
    pts = pd.DataFrame(
        {
            "task": both["task"],
            "annotator": both["annotator"],
            "source": both["source"],
            "day": both["day"],
            "n": np.where(gold_src, both["gold_n"], both["loo_n"]).astype(np.int64),
            "errors": np.where(gold_src, both["gold_err"], both["loo_err"]).astype(np.int64),
        }
    )
    pts = pts[pts["n"] > 0].copy()
    releases = np.array(sorted(release_dates), dtype="datetime64[ns]")
    pts["segment"] = np.searchsorted(releases, pts["day"].to_numpy(), side="right")
    keys = ["task", "annotator", "source", "segment"]
    pts = pts.sort_values([*keys, "day"], kind="stable").reset_index(drop=True)
    pts["chart"] = pts.groupby(keys, sort=False, dropna=False).ngroup()
    pts["p"] = pts["errors"] / pts["n"]
    unknown = sorted(set(rules) - set(RULES))
    if unknown:
        raise ValueError(f"unknown drift rule(s) {unknown}: expected some of {list(RULES)}")
    first = (pts.groupby("chart").cumcount() < baseline_days).to_numpy()
    lead = np.zeros(len(pts), dtype=bool)
    if baseline_end is not None:
        # An explicit end applies to the first segment; after a release the baseline is the first k days.
        # The last `cusum_lead` days before the end feed the CUSUM instead of the centre, so a digest of one
        # day still sees the day before it (as yesterday's digest did) against a centre that excludes it.
        end = pd.Timestamp(baseline_end)
        centre_end = end - pd.Timedelta(days=cusum_lead)
        seg0 = (pts["segment"] == 0).to_numpy()
        day = pts["day"]
        first = np.where(seg0, day <= centre_end, first)
        lead = seg0 & ((day > centre_end) & (day <= end)).to_numpy()
    pts["baseline"] = first.astype(bool)

    centre, n_eff = _baseline_centre(pts, prior_strength, min_baseline_n)
    pts["center"] = pts["chart"].map(centre)
    pts["base_var"] = (
        pts["center"] * (1 - pts["center"]) / pts["chart"].map(n_eff) if estimated_centre else 0.0
    )
    pts["monitor"] = ~pts["baseline"] & ~lead & pts["center"].notna()
    pts["run"] = (pts["monitor"] | lead) & pts["center"].notna()

    sd = np.sqrt(pts["center"] * (1 - pts["center"]) / pts["n"] + pts["base_var"])
    pts["ucl"] = pts["center"] + sigma * sd
    pts["lcl"] = np.maximum(pts["center"] - sigma * sd, 0.0)
    pts["ewma"], pts["ewma_ucl"] = _ewma(pts, lam, ewma_width)

    cus = _cusum(pts, cusum_shift, cusum_h)
    pts["cusum"], pts["cusum_h"] = cus["cusum"], np.where(pts["run"], cusum_h, np.nan)
    pts["run_errors"], pts["run_n"] = cus["run_errors"], cus["run_n"]

    corrected = (pts["errors"] - (0.5 if continuity else 0.0)) / pts["n"]
    fired = {
        P_RULE: pts["monitor"] & (pts["n"] >= min_n) & (corrected > pts["ucl"]),
        EWMA_RULE: pts["monitor"] & (pts["ewma"] > pts["ewma_ucl"]),
        CUSUM_RULE: pts["monitor"] & cus["alarm"],
    }
    rule = np.full(len(pts), "", dtype=object)
    for name in RULES:
        if name in rules:
            hit = fired[name].to_numpy()
            rule = np.where(hit, np.where(rule == "", name, rule + "; " + name), rule)
    pts["rule"] = pd.Series(rule, dtype=object, index=pts.index).where(rule != "", None)
    pts["day"] = pts["day"].dt.date
    return pts[COLUMNS]


def _cusum_alerts(points: pd.DataFrame, new_only: bool) -> list[DriftAlert]:
    """One alert per annotator-day the CUSUM fired, over the sources that fed its run (gold first)."""
    fired = points["rule"].fillna("").str.contains(CUSUM_RULE, regex=False)
    if not fired.any():
        return []
    if new_only:
        # Consecutive days of the same annotator's CUSUM (any source with data that day) are one run.
        days = points.assign(fired=fired).groupby(["annotator", "segment", "day"], sort=True)["fired"].any()
        prev = days.groupby(level=["annotator", "segment"]).shift(1, fill_value=False).astype(bool)
        fresh = days & ~prev
        keep = pd.MultiIndex.from_frame(points[["annotator", "segment", "day"]]).isin(fresh[fresh].index)
        fired = fired & keep
    hits = points[fired & (points["run_n"] > 0)]
    alerts = []
    for (annotator, _, day), rows in hits.groupby(["annotator", "segment", "day"], sort=False):
        rows = rows.sort_values("source", key=lambda c: c.map({"gold": 0}).fillna(1), kind="stable")
        parts = tuple(
            (str(r.source), float(r.run_errors / r.run_n), float(r.center), int(r.run_n))
            for r in rows.itertuples(index=False)
        )
        n = sum(p[3] for p in parts)
        # value: the error rate over the run, all sources pooled; limit: the rate the centres expect there.
        alerts.append(
            DriftAlert(
                annotator=str(annotator),
                day=day,
                rule=CUSUM_RULE,
                value=float(rows["run_errors"].sum() / n),
                limit=float(sum(p[2] * p[3] for p in parts) / n),
                source="+".join(p[0] for p in parts),
                n=int(n),
                parts=parts,
            )
        )
    return alerts


def drift_alerts(points: pd.DataFrame, new_only: bool = False) -> list[DriftAlert]:
    """One alert per fired rule per point (the CUSUM: per annotator-day); new_only keeps the first day of a run."""
    alerts: list[DriftAlert] = _cusum_alerts(points, new_only) if len(points) else []
    for rule, value_col, limit_col in ((P_RULE, "p", "ucl"), (EWMA_RULE, "ewma", "ewma_ucl")):
        fired = points["rule"].fillna("").str.contains(rule, regex=False)
        if new_only:
            chart = [points["annotator"], points["source"], points["segment"]]
            fired = fired & ~fired.groupby(chart).shift(1, fill_value=False).astype(bool)
        for r in points[fired].itertuples(index=False):
            alerts.append(
                DriftAlert(
                    annotator=str(r.annotator),
                    day=r.day,
                    rule=rule,
                    value=float(getattr(r, value_col)),
                    limit=float(getattr(r, limit_col)),
                    source=str(r.source),
                    n=int(r.n),
                )
            )
    return sorted(alerts, key=lambda a: (a.day, a.annotator, a.rule))
