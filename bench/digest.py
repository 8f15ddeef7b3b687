"""Quality digest speed: our digest vs a plain notebook on 1,000,000 annotations.

Usage: .venv/bin/python bench/digest.py [--items 200000] [--annotators 50] [--seed 0] [--keep DIR]
Data: 200,000 items x 5 ratings, 50 annotators, 5 labels, 10% gold, 30 days (reports.digest.synthetic,
deterministic for a seed), written as CSV. Each side runs in its own child process so peak memory
(ru_maxrss) is its own:
  (a) digest: reports.digest.build_digest on DataFrames (read from the CSV first, not timed), then
      render(html) separately;
  (b) notebook: pandas read_csv, pivots, krippendorff.alpha on the reliability matrix, statsmodels
      fleiss_kappa / proportion_confint(wilson), sklearn cohen_kappa_score per annotator pair, daily alpha,
      leave-one-out consensus and gold accuracy per annotator, per annotator-day error rates.
Seam for the store: `--store URL` is not implemented yet. Reading the window from SQL into the annotations
frame belongs to the `annobot digest` command; once it exists, time it here as (c) after importing the CSV
with `annobot import annotations`.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

LABELS = ("cat", "dog", "bird", "fish", "other")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_csv(folder: Path, items: int, annotators: int, seed: int) -> tuple[Path, Path]:
    """Write annotations.csv and gold.csv for the benchmark dataset."""
    from reports.digest.synthetic import synthetic

    df, gold = synthetic(
        n_items=items, annotators=annotators, labels=LABELS, gold_share=0.1, days=30, seed=seed
    )
    ann_csv, gold_csv = folder / "annotations.csv", folder / "gold.csv"
    df.to_csv(ann_csv, index=False)
    gold.to_csv(gold_csv, index=False)
    return ann_csv, gold_csv


def read(ann_csv: Path, gold_csv: Path):  # type: ignore[no-untyped-def]
    """The frames as the digest receives them (created_at tz-aware UTC)."""
    import pandas as pd

    df = pd.read_csv(ann_csv, dtype={"label": str}, parse_dates=["created_at"])
    df["created_at"] = pd.to_datetime(df["created_at"], utc=True)
    return df, pd.read_csv(gold_csv, dtype={"label": str})


def run_digest(ann_csv: Path, gold_csv: Path) -> dict[str, float]:
    """(a): frames in memory, then the full digest, then the HTML report."""
    from reports.digest import TaskSpec, build_digest
    from reports.render import render

    t0 = time.perf_counter()
    df, gold = read(ann_csv, gold_csv)
    t_read = time.perf_counter() - t0
    spec = {"species": TaskSpec(LABELS, "nominal")}
    t0 = time.perf_counter()
    digest = build_digest(df, gold, spec, None)
    t_digest = time.perf_counter() - t0
    t0 = time.perf_counter()
    html = render(digest, "html")
    t_html = time.perf_counter() - t0
    h = digest.headline
    return {
        "read_csv_s": t_read,
        "digest_s": t_digest,
        "render_html_s": t_html,
        "html_kb": len(html) / 1024,
        "alpha": h.alpha or float("nan"),
        "gold_accuracy": h.gold_accuracy or float("nan"),
        "peak_mb": _peak_mb(),
    }


def run_notebook(ann_csv: Path, gold_csv: Path) -> dict[str, float]:
    """(b): what a data scientist would write with pandas + krippendorff + statsmodels + scikit-learn."""
    import itertools

    import krippendorff
    import numpy as np
    import pandas as pd
    from sklearn.metrics import cohen_kappa_score
    from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa
    from statsmodels.stats.proportion import proportion_confint

    t0 = time.perf_counter()
    df = pd.read_csv(ann_csv, dtype={"label": str}, parse_dates=["created_at"])
    gold = pd.read_csv(gold_csv, dtype={"label": str})
    code = {lab: i for i, lab in enumerate(LABELS)}
    df["code"] = df["label"].map(code)
    wide = df.pivot_table(index="annotator", columns="item", values="code", aggfunc="last")
    alpha = krippendorff.alpha(reliability_data=wide.to_numpy(), level_of_measurement="nominal")
    rows = wide.T.to_numpy()
    per_item = [r[~np.isnan(r)].astype(int) for r in rows]
    table, _ = aggregate_raters(np.array(per_item), n_cat=len(LABELS))
    fleiss = fleiss_kappa(table)
    percent = float(np.mean([(c * (c - 1)).sum() / (c.sum() * (c.sum() - 1)) for c in table]))
    by_item = df.pivot_table(index="item", columns="annotator", values="label", aggfunc="last")
    kappas = []
    for a, b in itertools.combinations(by_item.columns, 2):
        both = by_item[[a, b]].dropna()
        if len(both) >= 20:
            kappas.append(cohen_kappa_score(both[a], both[b], labels=list(LABELS)))
    merged = df.merge(gold, on=["task", "item"], suffixes=("", "_gold"))
    merged["ok"] = merged["label"] == merged["label_gold"]
    acc = merged.groupby("annotator")["ok"].agg(["sum", "count"])
    acc["low"], acc["high"] = proportion_confint(acc["sum"], acc["count"], method="wilson")
    # Leave-one-out consensus: the label counts of the others on the item.
    counts = df.groupby(["item", "label"]).size().rename("c").reset_index()
    loo = df.merge(counts, on="item", suffixes=("", "_o"))
    loo["c"] -= loo["label"] == loo["label_o"]
    best = loo.sort_values("c", ascending=False).groupby(["item", "annotator"]).head(1)
    cons = (best["label"] == best["label_o"]).groupby(best["annotator"]).mean()
    df["day"] = df["created_at"].dt.date
    daily_alpha = {}
    for day, part in df.groupby("day"):
        w = part.pivot_table(index="annotator", columns="item", values="code", aggfunc="last")
        daily_alpha[day] = krippendorff.alpha(reliability_data=w.to_numpy(), level_of_measurement="nominal")
    merged["day"] = merged["created_at"].dt.date
    p = merged.groupby(["annotator", "day"])["ok"].agg(["sum", "count"])
    p["p"] = 1 - p["sum"] / p["count"]
    t = time.perf_counter() - t0
    return {
        "notebook_s": t,
        "alpha": float(alpha),
        "fleiss": float(fleiss),
        "percent": percent,
        "pairs": len(kappas),
        "annotators_consensus": len(cons),
        "peak_mb": _peak_mb(),
    }


def main() -> None:
    """Command-line entry: generate once, then time each side in a child process."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=200_000)
    ap.add_argument("--annotators", type=int, default=50)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--keep", type=Path, help="keep the CSVs in this folder")
    ap.add_argument("--child", choices=["digest", "notebook"], help=argparse.SUPPRESS)
    ap.add_argument("--csv", nargs=2, type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--store", help="not implemented yet: see the module docstring")
    args = ap.parse_args()
    if args.store:
        sys.exit("--store is not implemented yet: SQL reading belongs to `annobot digest` (see docstring)")
    if args.child:
        fn = run_digest if args.child == "digest" else run_notebook
        print(json.dumps(fn(*args.csv)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        ann_csv, gold_csv = make_csv(folder, args.items, args.annotators, args.seed)
        print(f"data: {args.items * 5:,} annotations in {time.perf_counter() - t0:.1f}s -> {ann_csv}")
        for side in ("digest", "notebook"):
            out = subprocess.run(
                [sys.executable, __file__, "--child", side, "--csv", str(ann_csv), str(gold_csv)],
                capture_output=True,
                text=True,
                check=True,
            )
            print(side, json.dumps(json.loads(out.stdout.strip().splitlines()[-1]), indent=1))


if __name__ == "__main__":
    main()
