"""Alerts worth acting on: false alerts of a steady team's daily digests and detection delay of a drop.

Usage: nice .venv/bin/python bench/alerts.py [--seeds 300] [--days 60] [--team 12] [--gold 40]
           [--shared 20] [--rule cusum|charts] [--batch 50] [--jobs 1] [--check 0]
Team: `--team` annotators, each day `--gold` gold items each (own items, steady accuracy 90%) and about
`--shared` non-gold items each, shared by three annotators (agreement with the leave-one-out consensus).
Errors are uniform among the four wrong labels of five. 14 days before the first digest, then `--days`
daily digests (every day a working day).
Each digest day runs the digest's own alert code of `reports/` on that day's window exactly as
`build_digest` does for one task: the drift charts over the 14-day baseline frame `annobot digest` reads
(`BASELINE_DAYS`) plus the window (`drift_chart(pool, gold, baseline_end=the day before)`, then
`drift_alerts(window days, new_only=True)`, as `reports.digest.drift.task_drift`), and the weak-annotator
test on the window (`reports.digest.weak.weak_alerts` over gold and consensus counts per annotator, as
`task_weak`). Seeds are stacked as tasks, each its own team (charts, team rate and Holm family per task),
so one call serves a batch of seeds; `--check K` rebuilds the first K seeds' digests one by one with
`build_digest` and asserts the same alerts.
Scenarios: steady (every annotator 90%: every alert is false) and drop (annotator a01 falls to 70% from
digest day 30 on; delay = first day with an alert naming a01, on or after the drop, minus the drop day).
Counting: every alert entry a digest shows (`drift[]`, which also holds the weak-annotator alerts), over
the team and the `--days` digests; reported per 60 digest days.
`--rule charts` runs the p-chart + EWMA rules (no CUSUM lead-in) on each source's chart. They are not
exactly the rules before issue 13 any more: those charted consensus only on days with fewer than 20 gold
items, now both sources are charted every day; the "before" rows of BENCHMARKS.md were measured at commit
e28fb2a with `--rule today`.
`--shared 0` gives a gold-only team (nobody shares items, so no consensus): what the CUSUM is for an
annotator without consensus data.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reports.digest.weak import weak_alerts
from reports.metrics import consensus_agreement, drift_alerts, drift_chart, encode
from reports.metrics.drift import EWMA_RULE, P_RULE
from reports.metrics.gold import gold_outcome

START = date(2026, 1, 5)
LEAD_DAYS = 14  # the baseline frame annobot digest reads before a window (bot.store.digest_reads)
LABELS = np.array(list("ABCDE"), dtype=object)
DROP_AT = 30  # digest day of the drop
RULES = {"cusum": {}, "charts": {"rules": (P_RULE, EWMA_RULE), "cusum_lead": 0}}


def simulate(seeds: list[int], days: int, team: int, gold: int, shared: int, drop: bool):
    """Annotations and gold of independent teams, one task per seed; day index in column `d`."""
    frames, golds = [], []
    total = LEAD_DAYS + days
    for seed in seeds:
        rng = np.random.default_rng(seed)
        acc = np.full((team, total), 0.9)
        if drop:
            acc[0, LEAD_DAYS + DROP_AT :] = 0.7
        names = np.array([f"s{seed}-a{j + 1:02d}" for j in range(team)], dtype=object)
        # Gold: own items.
        a_g, d_g = (
            g.ravel()
            for g in np.meshgrid(np.arange(team), np.arange(total), np.arange(gold), indexing="ij")[:2]
        )
        # Shared: items labelled by three distinct annotators.
        n_sh = team * shared // 3
        d_s = np.repeat(np.arange(total), n_sh)
        trio = np.argsort(rng.random((len(d_s), team)), axis=1)[:, :3]
        a_s, d_s3 = trio.ravel(), np.repeat(d_s, 3)
        item_s = np.repeat(np.arange(len(d_s)), 3)
        truth_s = rng.integers(0, 5, len(d_s))[item_s]
        ann = np.concatenate([a_g, a_s])
        day = np.concatenate([d_g, d_s3])
        truth = np.concatenate([rng.integers(0, 5, len(a_g)), truth_s])
        items = np.concatenate([np.arange(len(a_g)), len(a_g) + item_s])
        wrong = (truth + rng.integers(1, 5, len(ann))) % 5
        label = np.where(rng.random(len(ann)) < acc[ann, day], truth, wrong)
        task = f"s{seed}"
        ids = np.char.add(f"{task}-", items.astype(str)).astype(object)
        frames.append(
            pd.DataFrame(
                {
                    "task": task,
                    "item": ids,
                    "annotator": names[ann],
                    "label": LABELS[label],
                    "created_at": pd.Timestamp(START, tz="UTC")
                    + pd.to_timedelta(day * 86_400 + rng.integers(0, 86_400, len(ann)), unit="s"),
                    "d": day,
                }
            )
        )
        golds.append(
            pd.DataFrame(
                {"task": task, "item": ids[: len(a_g)], "label": LABELS[truth[: len(a_g)]], "d": d_g}
            )
        )
    return pd.concat(frames, ignore_index=True), pd.concat(golds, ignore_index=True)


def day_alerts(df: pd.DataFrame, gold: pd.DataFrame, t: int, rule: dict) -> list[tuple[str, str]]:
    """(annotator, rule) of every alert the digest of day t shows, for each stacked team."""
    d = df["d"].to_numpy()
    pool = df[(d >= t - LEAD_DAYS) & (d <= t)]
    # Only the gold of the pool's days (each gold item is labelled on its own day): the same outcomes as
    # the whole gold frame, without re-indexing every seed's 74 days of gold on each call.
    gd = gold["d"].to_numpy()
    gold = gold[(gd >= t - LEAD_DAYS) & (gd <= t)]
    day = START + timedelta(days=t)
    chart = drift_chart(pool, gold, baseline_end=day - timedelta(days=1), **rule)
    out = [(a.annotator, a.rule) for a in drift_alerts(chart[chart["day"] >= day], new_only=True)]
    win = df[d == t]
    enc = encode(win, tuple(LABELS))
    outcome = gold_outcome(enc, gold[gold["d"].to_numpy() == t])
    cons = consensus_agreement(enc)
    m = len(enc.annotators)
    gold_ok = np.bincount(enc.annotator[outcome == 1], minlength=m)
    gold_n = np.bincount(enc.annotator[outcome >= 0], minlength=m)
    names = pd.Series(enc.annotators.astype(str))
    team = names.str.split("-").str[0].to_numpy()
    for task in np.unique(team):
        idx = np.flatnonzero(team == task)
        counts = {
            "gold": (gold_ok[idx], gold_n[idx]),
            "consensus": (cons["agreements"].to_numpy()[idx], cons["n"].to_numpy()[idx]),
        }
        out += [(a.annotator, a.rule) for a in weak_alerts(list(names[idx]), counts, task, day, False)]
    return out


def run_batch(batch: list[int], args: argparse.Namespace, drop: bool) -> tuple[dict, dict, dict]:
    """One batch of seeds stacked as tasks: false alerts and drop delay per seed, false alerts by rule."""
    false = {s: 0 for s in batch}
    delay: dict[int, int | None] = {s: None for s in batch}
    by_rule: dict[str, int] = {}
    df, gold = simulate(batch, args.days, args.team, args.gold, args.shared, drop)
    for t in range(LEAD_DAYS, LEAD_DAYS + args.days):
        for ann, rule in day_alerts(df, gold, t, RULES[args.rule]):
            seed = int(ann.split("-")[0][1:])
            if drop and ann.endswith("-a01"):
                if t - LEAD_DAYS >= DROP_AT and delay[seed] is None:
                    delay[seed] = t - LEAD_DAYS - DROP_AT
                continue
            false[seed] += 1
            by_rule[rule] = by_rule.get(rule, 0) + 1
    return false, delay, by_rule


def run(
    seeds: list[int], args: argparse.Namespace, drop: bool
) -> tuple[dict[int, int], dict[int, int | None], dict]:
    """Per seed: false alerts (steady scenario: all; drop scenario: those not naming a01) and drop delay.

    Batches run in `--jobs` processes; each batch is independent (its own teams), so the figures do not
    depend on the number of processes.
    """
    batches = [seeds[b : b + args.batch] for b in range(0, len(seeds), args.batch)]
    if args.jobs > 1:
        with ProcessPoolExecutor(args.jobs) as pool:
            results = list(pool.map(run_batch, batches, [args] * len(batches), [drop] * len(batches)))
    else:
        results = [run_batch(b, args, drop) for b in batches]
    false: dict[int, int] = {}
    delay: dict[int, int | None] = {}
    by_rule: dict[str, int] = {}
    for f, d, r in results:
        false.update(f)
        delay.update(d)
        for k, v in r.items():
            by_rule[k] = by_rule.get(k, 0) + v
    return false, delay, by_rule


def check(seeds: list[int], args: argparse.Namespace, drop: bool) -> None:
    """The stacked fast path gives the same alerts as build_digest on each seed's own daily digests."""
    from reports.digest import TaskSpec, build_digest

    for seed in seeds:
        df, gold = simulate([seed], args.days, args.team, args.gold, args.shared, drop)
        spec = {f"s{seed}": TaskSpec(tuple(LABELS))}
        d = df["d"].to_numpy()
        for t in range(LEAD_DAYS, LEAD_DAYS + args.days):
            start = pd.Timestamp(START, tz="UTC") + pd.Timedelta(days=t)
            window = (start.to_pydatetime(), (start + pd.Timedelta(days=1)).to_pydatetime())
            digest = build_digest(
                df[d == t], gold, spec, window, baseline=df[(d >= t - LEAD_DAYS) & (d < t)], n_boot=0
            )
            slow = sorted((a.annotator, a.rule) for a in digest.drift)
            fast = sorted(day_alerts(df, gold, t, RULES[args.rule]))
            assert slow == fast, (seed, t, slow, fast)
    print(f"check: build_digest on seeds {seeds} gives the same alerts on all {args.days} days")


def main() -> None:
    """Run both scenarios and print the figures for BENCHMARKS.md."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=300)
    ap.add_argument("--days", type=int, default=60)
    ap.add_argument("--team", type=int, default=12)
    ap.add_argument("--gold", type=int, default=40)
    ap.add_argument("--shared", type=int, default=20)
    ap.add_argument("--rule", choices=sorted(RULES), default="cusum")
    ap.add_argument("--batch", type=int, default=50)
    ap.add_argument("--jobs", type=int, default=1, help="processes over batches of seeds")
    ap.add_argument("--check", type=int, default=0, help="seeds to rebuild with build_digest (cusum only)")
    args = ap.parse_args()
    seeds = list(range(args.seeds))
    if args.check:
        check(seeds[: args.check], args, drop=True)
    print(f"load average {os.getloadavg()[0]:.2f}; rule {args.rule}; seeds 0-{args.seeds - 1}; {vars(args)}")
    t0 = time.perf_counter()
    false, _, by_rule = run(seeds, args, drop=False)
    per60 = np.array(list(false.values())) * 60 / args.days
    hist = np.bincount(per60.astype(int))
    print(
        f"steady: false alerts per 60 digest days, mean {per60.mean():.2f}, median {np.median(per60):.0f}, "
        f"90th pct {np.percentile(per60, 90):.0f}, max {per60.max():.0f}; seeds with 0/1/2/3+: "
        f"{hist[0] if len(hist) > 0 else 0}/{hist[1] if len(hist) > 1 else 0}/"
        f"{hist[2] if len(hist) > 2 else 0}/{int((per60 >= 3).sum())}; by rule {by_rule}"
    )
    print(f"  ({time.perf_counter() - t0:.0f} s)")
    t0 = time.perf_counter()
    false_d, delay, by_rule_d = run(seeds, args, drop=True)
    dl = np.array([99 if v is None else v for v in delay.values()])
    print(
        f"drop: on the day {int((dl <= 0).sum())}/{len(dl)}, within one day {int((dl <= 1).sum())}, "
        f"within three {int((dl <= 3).sum())}, never {int((dl == 99).sum())}, worst {dl.max()}; "
        f"delays {dict(zip(*np.unique(dl, return_counts=True), strict=True))}; teammates' false alerts per 60 days "
        f"{np.mean(list(false_d.values())) * 60 / args.days:.2f} {by_rule_d}"
    )
    print(f"  ({time.perf_counter() - t0:.0f} s; load average {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main()
