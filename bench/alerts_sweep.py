"""Rule-level sweep behind the drift rule: Page's CUSUM (and rivals) on daily gold and consensus counts.

Usage: nice .venv/bin/python bench/alerts_sweep.py [--seeds 300] [--base-seed 0] [--only sum,gold] [--grid sum:0.15:6.25:2,...]
Fast stand-in for bench/alerts.py when choosing a rule (seconds, not minutes), same team model: 12
annotators, 40 gold items a day at 90% (errors Binomial(40, 0.1)) and 80 shared items a day, each labelled
by three annotators drawn at random (about 20 per annotator; errors uniform among the four wrong labels of
five), whose leave-one-out consensus outcome is computed exactly as `loo_outcome` does (two others: compared
when they agree, a disagreement when the annotator's label differs). 14 lead days and 60 daily digests;
each digest day the centres are the digest's (per source, the 12 baseline days before the 2 lead-in days,
shrunk towards the team's rate with 20 pseudo-items) and the rule runs over the lead-in days and the window
with the real `binomial_llr` / `page_cusum` of reports/metrics/drift.py. Drop: annotator 0 at 70% from
digest day 30. No weak-annotator test: bench/alerts.py has it.

Rules (per annotator, alarm on the digest's own day):
- gold: the CUSUM on gold alone (the rule before at shift 0.2, h = 5; at the chosen constants, what an
  annotator without consensus data gets).
- sum: one CUSUM over the sum of the gold and the consensus log-likelihood ratios, each source against its
  own centre p0 and p0 + shift (the chosen rule, at shift 0.15, h = 6.25: `reports.metrics.drift`).
- sum+: as sum, but a lead-in day resets the sum only where that day's own digest (its own centre and
  lead-in, one level deep) alarmed, so an alarm the earlier digest did not show is not lost.
- sum-noreset, gold-noreset: no reset inside the lead-in days; alarm when the digest day's sum is above h.
- pooled: one binomial CUSUM over gold and consensus counts pooled, centre from the pooled baseline.
- either: two CUSUMs, gold and consensus, each at h; alarm when either fires (Bonferroni-style union).
- sr: Shiryaev-Roberts (the Bayesian change-point statistic under a flat prior on the change day) over the
  summed ratios: R_t = (1 + R_{t-1}) LR_t, alarm when ln R_t > h, reset after an alarm.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reports.metrics.drift import binomial_llr, page_cusum

TEAM, LEAD_DAYS, DIGESTS, N, SHARED, DROP_AT, PRIOR = 12, 14, 60, 40, 80, 30, 20.0


def simulate(seeds: int, drop: bool, base_seed: int) -> dict[str, np.ndarray]:
    """Daily counts (seed, annotator, day): gold errors and items, consensus disagreements and compared items."""
    rng = np.random.default_rng(base_seed + (1 if drop else 0))
    total = LEAD_DAYS + DIGESTS
    acc = np.full((seeds, TEAM, total), 0.9)
    if drop:
        acc[:, 0, LEAD_DAYS + DROP_AT :] = 0.7
    gold_x = rng.binomial(N, 1 - acc).astype(float)
    # Shared items: (seed, day, item) with three distinct annotators each.
    trio = np.argsort(rng.random((seeds, total, SHARED, TEAM)), axis=3)[..., :3]
    s_idx = np.arange(seeds)[:, None, None, None]
    d_idx = np.arange(total)[None, :, None, None]
    right = rng.random(trio.shape) < acc[s_idx, trio, d_idx]
    # Label 0 is the truth; a wrong label is one of 1..4 uniformly.
    label = np.where(right, 0, rng.integers(1, 5, trio.shape))
    loo_n = np.zeros((seeds, TEAM, total))
    loo_x = np.zeros((seeds, TEAM, total))
    for j in range(3):
        a, b = label[..., (j + 1) % 3], label[..., (j + 2) % 3]
        compared = a == b
        disagree = compared & (label[..., j] != a)
        who = trio[..., j]
        sd = np.broadcast_to(s_idx[..., 0], who.shape), np.broadcast_to(d_idx[..., 0], who.shape)
        np.add.at(loo_n, (sd[0], who, sd[1]), compared)
        np.add.at(loo_x, (sd[0], who, sd[1]), disagree)
    return {"gold_x": gold_x, "gold_n": np.full_like(gold_x, N), "cons_x": loo_x, "cons_n": loo_n}


def centre(x: np.ndarray, n: np.ndarray, b0: int, b1: int) -> np.ndarray:
    """The digest's centre per (seed, annotator): baseline rate shrunk towards the team's, floored."""
    be, bn = x[:, :, b0:b1].sum(2), n[:, :, b0:b1].sum(2)
    team = be.sum(1, keepdims=True) / bn.sum(1, keepdims=True)
    return np.maximum((be + PRIOR * team) / (bn + PRIOR), 0.5 / (bn + PRIOR)).ravel()


def llr(c: dict[str, np.ndarray], src: str, b0: int, b1: int, t: int, shift: float) -> np.ndarray:
    """One source's daily log-likelihood ratios over the lead-in days and the digest day."""
    x, n = c[f"{src}_x"], c[f"{src}_n"]
    p0 = centre(x, n, b0, b1)
    rows = x.shape[0] * x.shape[1]
    xs, ns = x[:, :, b1 : t + 1].reshape(rows, -1), n[:, :, b1 : t + 1].reshape(rows, -1)
    return binomial_llr(xs, ns, p0, np.minimum(p0 + shift, 0.999))


def shiryaev_roberts(steps: np.ndarray, h: float) -> np.ndarray:
    """Alarms of the Shiryaev-Roberts statistic in logs, reset to R = 0 after each alarm."""
    log_r = np.full(steps.shape[0], -np.inf)
    alarm = np.zeros(steps.shape, dtype=bool)
    for t in range(steps.shape[1]):
        log_r = np.logaddexp(0.0, log_r) + steps[:, t]
        alarm[:, t] = log_r > h
        log_r = np.where(alarm[:, t], -np.inf, log_r)
    return alarm


def alarms(c: dict[str, np.ndarray], rule: str, shift: float, h: float, lead: int, t: int) -> np.ndarray:
    """Alarm on digest day t per (seed, annotator); the `lead` days before t feed the rule, not the centre."""
    b0, b1 = t - LEAD_DAYS, t - lead
    if rule == "pooled":
        pooled = {"p_x": c["gold_x"] + c["cons_x"], "p_n": c["gold_n"] + c["cons_n"]}
        return page_cusum(llr(pooled, "p", b0, b1, t, shift), h)[1][:, -1]
    g = llr(c, "gold", b0, b1, t, shift)
    if rule == "gold":
        return page_cusum(g, h)[1][:, -1]
    k = llr(c, "cons", b0, b1, t, shift)
    if rule == "either":
        return page_cusum(g, h)[1][:, -1] | page_cusum(k, h)[1][:, -1]
    if rule == "sr":
        return shiryaev_roberts(g + k, h)[:, -1]
    if rule == "sum+":
        return consistent(c, shift, h, lead, t)
    if rule == "sum-noreset":
        return page_cusum(g + k, np.inf)[0][:, -1] > h
    if rule == "gold-noreset":
        return page_cusum(g, np.inf)[0][:, -1] > h
    return page_cusum(g + k, h)[1][:, -1]


def summed(c: dict[str, np.ndarray], shift: float, lead: int, t: int) -> np.ndarray:
    """Digest t's summed gold + consensus ratios over its lead-in days and t, against its own centres."""
    b0, b1 = max(t - LEAD_DAYS, 0), t - lead
    return llr(c, "gold", b0, b1, t, shift) + llr(c, "cons", b0, b1, t, shift)


def consistent(c: dict[str, np.ndarray], shift: float, h: float, lead: int, t: int) -> np.ndarray:
    """Alarm on day t where the lead-in days reset only where their own digests alarmed (one level deep)."""
    steps = summed(c, shift, lead, t)
    shown = np.zeros(steps.shape, dtype=bool)
    for j in range(lead):
        day = t - lead + j
        shown[:, j] = page_cusum(summed(c, shift, lead, day), h)[1][:, -1]
    s = np.zeros(steps.shape[0])
    for j in range(lead + 1):
        s = np.maximum(0.0, s + steps[:, j])
        if j < lead:
            s = np.where(shown[:, j], 0.0, s)
    return s > h


def run(c: dict[str, np.ndarray], rule: str, shift: float, h: float, lead: int, drop: bool) -> np.ndarray:
    """Per seed: false alerts over the 60 digests (steady) or the drop's delay in days (99: never)."""
    seeds = c["gold_x"].shape[0]
    false, first = np.zeros(seeds), np.full(seeds, 99)
    for t in range(LEAD_DAYS, LEAD_DAYS + DIGESTS):
        alarm = alarms(c, rule, shift, h, lead, t).reshape(seeds, TEAM)
        if drop:
            hit = alarm[:, 0] & (t - LEAD_DAYS >= DROP_AT) & (first == 99)
            first = np.where(hit, t - LEAD_DAYS - DROP_AT, first)
            false += alarm[:, 1:].sum(1)
        else:
            false += alarm.sum(1)
    return first if drop else false


SETTINGS = [
    ("sum", 0.15, 6.25, 2),
    ("gold", 0.15, 6.25, 2),
    ("gold", 0.2, 4.0, 2),
    ("gold", 0.2, 5.0, 2),
    ("sum", 0.2, 5.0, 2),
    ("sum", 0.2, 5.5, 2),
    ("sum", 0.2, 6.0, 2),
    ("sum", 0.2, 6.5, 2),
    ("sum", 0.2, 7.0, 2),
    ("sum", 0.2, 5.0, 3),
    ("sum", 0.2, 5.5, 3),
    ("sum", 0.2, 6.0, 3),
    ("sum", 0.2, 6.0, 4),
    ("sum", 0.2, 6.5, 4),
    ("sum+", 0.2, 5.0, 2),
    ("sum+", 0.2, 5.5, 2),
    ("sum+", 0.2, 6.0, 2),
    ("sum+", 0.2, 6.0, 3),
    ("sum", 0.15, 6.0, 2),
    ("sum", 0.25, 6.0, 2),
    ("pooled", 0.2, 6.0, 2),
    ("either", 0.2, 5.5, 2),
    ("either", 0.2, 6.0, 2),
    ("sr", 0.2, 7.0, 2),
    ("sr", 0.2, 8.0, 2),
]


def main() -> None:
    """Print false alerts per 60 days and detection within 0/1/3 days per setting."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=300)
    ap.add_argument("--base-seed", type=int, default=0)
    ap.add_argument("--only", default="", help="run only these rules' settings (comma-separated)")
    ap.add_argument(
        "--grid", default="", help="instead of the settings: rule:shift:h:lead,... e.g. sum:0.15:6:2"
    )
    args = ap.parse_args()
    steady = simulate(args.seeds, False, args.base_seed)
    dropped = simulate(args.seeds, True, args.base_seed)
    per_day = steady["cons_n"][:, :, LEAD_DAYS:].mean()
    print(f"consensus items compared per annotator-day: {per_day:.1f} (gold {N})")
    print("rule shift h lead | false alerts/60 days: mean p50 p90 max | drop: day 0, <=1, <=3 (share), worst")
    grid = [
        (r, float(a), float(b), int(c)) for r, a, b, c in (g.split(":") for g in args.grid.split(",") if g)
    ]
    for rule, shift, h, lead in grid or SETTINGS:
        if args.only and rule not in args.only.split(","):
            continue
        fa = run(steady, rule, shift, h, lead, drop=False)
        d = run(dropped, rule, shift, h, lead, drop=True)
        print(
            f"{rule} {shift} {h} {lead} | {fa.mean():.2f} {np.median(fa):.0f} {np.percentile(fa, 90):.0f} "
            f"{fa.max():.0f} | {(d <= 0).mean():.3f} {(d <= 1).mean():.3f} {(d <= 3).mean():.3f} {d.max()}",
            flush=True,
        )


if __name__ == "__main__":
    main()
