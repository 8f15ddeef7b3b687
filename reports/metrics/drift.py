"""Per-annotator quality drift: daily error rates on a p-chart and an EWMA chart against a baseline window."""

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

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {**self.__dict__, "day": self.day.isoformat()}


def _daily_outcomes(df: pd.DataFrame, gold: pd.DataFrame | None, tz: str) -> pd.DataFrame:
    """Per annotator-day: gold items and errors; items compared with the others' majority, disagreements."""
    enc = encode(df)
    day = local_days(df["created_at"].iloc[enc.row], tz)
    day_codes, days = pd.factorize(day, sort=True)
    loo = loo_outcome(enc)
    gold_res = gold_outcome(enc, gold) if gold is not None else np.full(len(enc.unit), -1, dtype=np.int8)
    n_days = max(len(days), 1)
    key = enc.annotator * n_days + day_codes
    size = len(enc.annotators) * n_days
    out = pd.DataFrame(
        {
            "annotator": np.repeat(enc.annotators.to_numpy(), n_days),
            "day": np.tile(np.asarray(days), len(enc.annotators)) if len(days) else [],
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


def _baseline_centre(
    pts: pd.DataFrame, prior_strength: float, min_baseline_n: int
) -> tuple[pd.Series, pd.Series]:
    """Per chart: the baseline error rate shrunk towards the team's, and its effective item count."""
    base = pts[pts["baseline"]].groupby("chart")[["errors", "n"]].sum()
    base = base.join(pts.groupby("chart")[["source", "segment"]].first())
    team = base.groupby(["source", "segment"])[["errors", "n"]].transform("sum")
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
def drift_chart(
    df: pd.DataFrame,
    gold: pd.DataFrame | None = None,
    *,
    baseline_end: date | None = None,
    baseline_days: int = 14,
    release_dates: Sequence[date] = (),
    min_gold_per_day: int = 20,
    min_n: int = 20,
    min_baseline_n: int = 100,
    prior_strength: float = 20.0,
    sigma: float = 3.0,
    lam: float = 0.2,
    ewma_width: float = 3.0,
    estimated_centre: bool = True,
    continuity: bool = True,
    tz: str = "UTC",
) -> pd.DataFrame:
    """Chart points per annotator, source ('gold'/'consensus'), segment, day, with limits and rule fired."""
    daily = _daily_outcomes(df, gold, tz)
    if daily.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
    # Gold when the day has enough of it; otherwise disagreement with the others' majority. The two rates
    # have different levels, so each source gets its own chart, baseline and EWMA.
    use_gold = (daily["gold_n"] >= min_gold_per_day) | ((daily["gold_n"] > 0) & (daily["loo_n"] == 0))
    pts = pd.DataFrame(
        {
            "annotator": daily["annotator"],
            "source": np.where(use_gold, "gold", "consensus"),
            "day": daily["day"],
            "n": np.where(use_gold, daily["gold_n"], daily["loo_n"]).astype(np.int64),
            "errors": np.where(use_gold, daily["gold_err"], daily["loo_err"]).astype(np.int64),
        }
    )
    pts = pts[pts["n"] > 0].copy()
    releases = np.array(sorted(release_dates), dtype="datetime64[ns]")
    pts["segment"] = np.searchsorted(releases, pts["day"].to_numpy(), side="right")
    pts = pts.sort_values(["annotator", "source", "segment", "day"], kind="stable").reset_index(drop=True)
    pts["chart"] = pts.groupby(["annotator", "source", "segment"], sort=False).ngroup()
    pts["p"] = pts["errors"] / pts["n"]
    first = (pts.groupby("chart").cumcount() < baseline_days).to_numpy()
    if baseline_end is not None:
        # An explicit end applies to the first segment; after a release the baseline is the first k days.
        first = np.where(pts["segment"] == 0, pts["day"] <= pd.Timestamp(baseline_end), first)
    pts["baseline"] = first.astype(bool)

    centre, n_eff = _baseline_centre(pts, prior_strength, min_baseline_n)
    pts["center"] = pts["chart"].map(centre)
    pts["base_var"] = (
        pts["center"] * (1 - pts["center"]) / pts["chart"].map(n_eff) if estimated_centre else 0.0
    )
    pts["monitor"] = ~pts["baseline"] & pts["center"].notna()

    sd = np.sqrt(pts["center"] * (1 - pts["center"]) / pts["n"] + pts["base_var"])
    pts["ucl"] = pts["center"] + sigma * sd
    pts["lcl"] = np.maximum(pts["center"] - sigma * sd, 0.0)
    pts["ewma"], pts["ewma_ucl"] = _ewma(pts, lam, ewma_width)

    corrected = (pts["errors"] - (0.5 if continuity else 0.0)) / pts["n"]
    p_fire = pts["monitor"] & (pts["n"] >= min_n) & (corrected > pts["ucl"])
    e_fire = pts["monitor"] & (pts["ewma"] > pts["ewma_ucl"])
    both = f"{P_RULE}; {EWMA_RULE}"
    rule = np.where(p_fire & e_fire, both, np.where(p_fire, P_RULE, np.where(e_fire, EWMA_RULE, "")))
    pts["rule"] = pd.Series(rule, dtype=object).where(rule != "", None)
    pts["day"] = pts["day"].dt.date
    return pts[COLUMNS]


def drift_alerts(points: pd.DataFrame, new_only: bool = False) -> list[DriftAlert]:
    """One alert per fired rule per point; new_only keeps the first day of each run of consecutive signals."""
    alerts: list[DriftAlert] = []
    for rule, value_col, limit_col in ((P_RULE, "p", "ucl"), (EWMA_RULE, "ewma", "ewma_ucl")):
        fired = points["rule"].fillna("").str.contains(rule, regex=False)
        if new_only:
            chart = [points["annotator"], points["source"], points["segment"]]
            fired = fired & ~fired.groupby(chart).shift(1, fill_value=False).astype(bool)
        hits = points[fired]
        alerts.extend(
            DriftAlert(
                annotator=str(r.annotator),
                day=r.day,
                rule=rule,
                value=float(getattr(r, value_col)),
                limit=float(getattr(r, limit_col)),
                source=str(r.source),
                n=int(r.n),
            )
            for r in hits.itertuples(index=False)
        )
    return sorted(alerts, key=lambda a: (a.day, a.annotator, a.rule))
