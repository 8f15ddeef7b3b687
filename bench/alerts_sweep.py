"""Rule-level sweep behind the CUSUM's h and shift: `reports.metrics.drift.binomial_cusum` on daily counts.

Usage: nice .venv/bin/python bench/alerts_sweep.py [--seeds 300]
Fast stand-in for bench/alerts.py when choosing parameters (seconds, not minutes): 12 annotators, 40 gold
items a day at 90% (errors Binomial(40, 0.1)), 14 lead days and 60 daily digests; each digest day the centre
is the digest's (the 12 baseline days before the 2 lead-in days, shrunk towards the team's rate with 20
pseudo-items) and the real `binomial_cusum` runs over the lead-in days and the window. Drop: annotator 0 at
30% errors from digest day 30. No consensus items and no weak-annotator test: bench/alerts.py has both.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reports.metrics.drift import binomial_cusum

TEAM, LEAD_DAYS, DIGESTS, N, DROP_AT = 12, 14, 60, 40, 30


def run(seeds: int, shift: float, h: float, lead: int, prior: float, drop: bool) -> np.ndarray:
    """Per seed: false alerts over the 60 digests (steady) or the drop's delay in days (99: never)."""
    rng = np.random.default_rng(1 if drop else 0)
    total = LEAD_DAYS + DIGESTS
    p = np.full((seeds, TEAM, total), 0.1)
    if drop:
        p[:, 0, LEAD_DAYS + DROP_AT :] = 0.3
    x = rng.binomial(N, p).astype(float)
    n = np.full_like(x, N)
    false, first = np.zeros(seeds), np.full(seeds, 99)
    for t in range(LEAD_DAYS, total):
        b0, b1 = t - LEAD_DAYS, t - lead
        be, bn = x[:, :, b0:b1].sum(2), n[:, :, b0:b1].sum(2)
        team = be.sum(1, keepdims=True) / bn.sum(1, keepdims=True)
        c = np.maximum((be + prior * team) / (bn + prior), 0.5 / (bn + prior)).ravel()
        xs, ns = x[:, :, b1 : t + 1].reshape(seeds * TEAM, -1), n[:, :, b1 : t + 1].reshape(seeds * TEAM, -1)
        alarm = binomial_cusum(xs, ns, c, np.minimum(c + shift, 0.999), h)[1][:, -1].reshape(seeds, TEAM)
        if drop:
            hit = alarm[:, 0] & (t - LEAD_DAYS >= DROP_AT) & (first == 99)
            first = np.where(hit, t - LEAD_DAYS - DROP_AT, first)
            false += alarm[:, 1:].sum(1)
        else:
            false += alarm.sum(1)
    return first if drop else false


def main() -> None:
    """Print false alerts per 60 days and detection within 0/1/3 days per setting."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=300)
    args = ap.parse_args()
    print(
        "shift h lead prior | false alerts/60 days: mean p50 p90 max | drop: day 0, <=1, <=3 (share), worst"
    )
    for shift, h, lead, prior in [
        (0.2, 4.0, 2, 20),
        (0.2, 4.5, 2, 20),
        (0.2, 5.0, 2, 20),
        (0.15, 5.0, 2, 20),
        (0.2, 5.0, 2, 480),
        (0.1, 3.2, 2, 20),
    ]:
        fa = run(args.seeds, shift, h, lead, prior, drop=False)
        d = run(args.seeds, shift, h, lead, prior, drop=True)
        print(
            f"{shift} {h} {lead} {prior} | {fa.mean():.2f} {np.median(fa):.0f} {np.percentile(fa, 90):.0f} "
            f"{fa.max():.0f} | {(d <= 0).mean():.3f} {(d <= 1).mean():.3f} {(d <= 3).mean():.3f} {d.max()}",
            flush=True,
        )


if __name__ == "__main__":
    main()
