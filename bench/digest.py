"""Quality digest speed: `annobot digest` from the store vs a plain notebook on 1,000,000 annotations.

Usage: .venv/bin/python bench/digest.py [--items 200000] [--annotators 50] [--seed 0]
           [--pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres] [--sides sqlite,postgresql,notebook]
           [--keep DIR] [--reuse]
Data: 200,000 items x 5 ratings, 50 annotators, 5 labels, 10% gold, 30 days (reports.digest.synthetic,
deterministic for a seed), written as an import CSV and a gold CSV.

Sides, each timed in its own child process so peak memory (ru_maxrss) is its own:
  load:       each store is filled through the import path (`bot.imports.load.import_annotations` and
              `import_gold`, the functions `annobot import annotations|gold` call); timed, not the target.
  sqlite, postgresql: `annobot digest --project bench --all --format json --out FILE`, run in-process
              through the click entry (the command's own code path, `bot.jobs.digest.digest_job`: read
              the window from SQL, build the digest, render the JSON). Wall time from command start to
              the file written.
  frames:     reports.digest.build_digest on DataFrames read from the CSV (reading not timed).
  notebook:   pandas read_csv, pivots, krippendorff.alpha on the reliability matrix, statsmodels
              fleiss_kappa / proportion_confint(wilson), sklearn cohen_kappa_score per annotator pair, daily
              alpha, leave-one-out consensus and gold accuracy per annotator, per annotator-day error rates.
PostgreSQL runs in a scratch database created and dropped here (kept as annobot_bench_digest with --keep).
--reuse skips generating and loading (with --keep DIR from an earlier run), for profiling.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

LABELS = ("cat", "dog", "bird", "fish", "other")
PROJECT = "bench"
KEPT_PG_DB = "annobot_bench_digest"
GUIDELINE_TOML = f"""slug = "species"
title = "Species"
version = "1.0.0"
labels = {json.dumps(list(LABELS))}
scale = "nominal"
"""
GUIDELINE_RULES = "# Overview\n\nLabel the animal in the picture.\n\n" + "".join(
    f"## {lab.title()} {{#{lab}}}\n\nWhen the picture shows a {lab}, label **{lab}**.\n\n" for lab in LABELS
)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_csv(folder: Path, items: int, annotators: int, seed: int) -> tuple[Path, Path]:
    """Write annotations.csv and gold.csv in the columns `annobot import` reads."""
    from reports.digest.synthetic import synthetic

    df, gold = synthetic(
        n_items=items, annotators=annotators, labels=LABELS, gold_share=0.1, days=30, seed=seed
    )
    ann = df.rename(columns={"item": "item_id"})[
        ["item_id", "annotator", "label", "task", "created_at", "duration_s", "cohort"]
    ]
    ann_csv, gold_csv = folder / "annotations.csv", folder / "gold.csv"
    ann.to_csv(ann_csv, index=False, date_format="%Y-%m-%dT%H:%M:%SZ")
    gold.rename(columns={"item": "item_id"}).to_csv(gold_csv, index=False)
    return ann_csv, gold_csv


def load(url: str, ann_csv: Path, gold_csv: Path, tmp: Path) -> dict[str, float]:
    """Create the schema, the guideline and the project, then import both files as the CLI does."""
    from bot.imports.load import import_annotations, import_gold
    from bot.store.db import make_engine, session_scope, upgrade_to_head
    from bot.store.guidelines import publish
    from bot.store.projects import add_project
    from guidelines.parse import load_guideline

    folder = tmp / "species"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "guideline.toml").write_text(GUIDELINE_TOML, encoding="utf-8")
    (folder / "rules.md").write_text(GUIDELINE_RULES, encoding="utf-8")
    engine = make_engine(url)
    upgrade_to_head(engine)
    with session_scope(engine) as s:
        publish(s, load_guideline(folder))
        add_project(s, PROJECT, "species", [])
    t0 = time.perf_counter()
    summary = import_annotations(engine, ann_csv, PROJECT, "csv")
    t_ann = time.perf_counter() - t0
    t0 = time.perf_counter()
    gold = import_gold(engine, gold_csv, PROJECT, "csv")
    t_gold = time.perf_counter() - t0
    engine.dispose()
    return {
        "annotations": summary.inserted,
        "gold": gold.inserted,
        "import_annotations_s": round(t_ann, 1),
        "import_gold_s": round(t_gold, 1),
        "peak_mb": round(_peak_mb()),
    }


def run_cli_digest(url: str, out: Path) -> dict[str, float]:
    """`annobot digest --all --format json` against url, in this (fresh) process."""
    os.environ["ANNOBOT_DATABASE_URL"] = url
    os.environ.pop("ANNOBOT_CONFIG", None)
    from bot.cli import cli  # imported before timing: module import is not the digest's work

    t0 = time.perf_counter()
    cli.main(
        ["digest", "--project", PROJECT, "--all", "--format", "json", "--out", str(out)],
        prog_name="annobot",
        standalone_mode=False,
    )
    elapsed = time.perf_counter() - t0
    peak = _peak_mb()
    data = json.loads(out.read_text(encoding="utf-8"))
    t = data["tasks"][0]["agreement"]
    return {
        "digest_s": round(elapsed, 2),
        "peak_mb": round(peak),
        "json_kb": round(out.stat().st_size / 1024),
        "annotations": data["counts"]["annotations"],
        "alpha": t["krippendorff_alpha"],
        "fleiss": t["fleiss_kappa"],
        "percent": t["percent"],
        "gold_accuracy": data["headline"]["gold_accuracy"],
        "pairs": len(data["pairs"]),
    }


def read(ann_csv: Path, gold_csv: Path):  # type: ignore[no-untyped-def]
    """The frames as the digest receives them (created_at tz-aware UTC)."""
    import pandas as pd

    df = pd.read_csv(ann_csv, dtype={"label": str}).rename(columns={"item_id": "item"})
    df["created_at"] = pd.to_datetime(df["created_at"], utc=True)
    df["project"], df["guideline_version"] = PROJECT, "1.0.0"
    return df, pd.read_csv(gold_csv, dtype={"label": str}).rename(columns={"item_id": "item"})


def run_frames(ann_csv: Path, gold_csv: Path) -> dict[str, float]:
    """Frames in memory (not timed), then the digest alone."""
    from reports.digest import TaskSpec, build_digest

    df, gold = read(ann_csv, gold_csv)
    t0 = time.perf_counter()
    digest = build_digest(df, gold, {"species": TaskSpec(LABELS, "nominal")}, None)
    t = time.perf_counter() - t0
    return {"digest_s": round(t, 2), "alpha": digest.headline.alpha or float("nan"), "peak_mb": _peak_mb()}


def run_notebook(ann_csv: Path, gold_csv: Path) -> dict[str, float]:
    """What a data scientist would write with pandas + krippendorff + statsmodels + scikit-learn."""
    import itertools

    import krippendorff
    import numpy as np
    import pandas as pd
    from sklearn.metrics import cohen_kappa_score
    from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa
    from statsmodels.stats.proportion import proportion_confint

    t0 = time.perf_counter()
    df = pd.read_csv(ann_csv, dtype={"label": str}, parse_dates=["created_at"])
    df = df.rename(columns={"item_id": "item"})
    gold = pd.read_csv(gold_csv, dtype={"label": str}).rename(columns={"item_id": "item"})
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
        "notebook_s": round(t, 1),
        "alpha": float(alpha),
        "fleiss": float(fleiss),
        "percent": percent,
        "pairs": len(kappas),
        "annotators_consensus": len(cons),
        "peak_mb": round(_peak_mb()),
    }


def _child(*args: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args], capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        sys.exit(f"child {args[0]} failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _child_main(args: argparse.Namespace) -> None:
    kind, *rest = args.child
    if kind == "load":
        url, ann, gold, tmp = rest
        result = load(url, Path(ann), Path(gold), Path(tmp))
    elif kind == "digest":
        result = run_cli_digest(rest[0], Path(rest[1]))
    elif kind == "frames":
        result = run_frames(Path(rest[0]), Path(rest[1]))
    else:
        result = run_notebook(Path(rest[0]), Path(rest[1]))
    print(json.dumps(result))


def main() -> None:
    """Command-line entry: generate once, load each store, then time each side in a child process."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=200_000)
    ap.add_argument("--annotators", type=int, default=50)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    ap.add_argument(
        "--sides", default="sqlite,postgresql,notebook", help="of sqlite,postgresql,frames,notebook"
    )
    ap.add_argument("--keep", type=Path, help="keep the CSVs and the SQLite file here (and the PG database)")
    ap.add_argument("--reuse", action="store_true", help="with --keep: skip generating and loading")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child_main(args)
        return
    from sqlalchemy import create_engine, text

    sides = args.sides.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        ann_csv, gold_csv = folder / "annotations.csv", folder / "gold.csv"
        if not args.reuse:
            t0 = time.perf_counter()
            make_csv(folder, args.items, args.annotators, args.seed)
            print(f"data: {args.items * 5:,} annotations in {time.perf_counter() - t0:.1f}s -> {ann_csv}")
        stores: dict[str, str] = {}
        if "sqlite" in sides:
            stores["sqlite"] = f"sqlite:///{folder / 'bench.db'}"
        admin = create_engine(args.pg, isolation_level="AUTOCOMMIT") if "postgresql" in sides else None
        scratch = KEPT_PG_DB if args.keep else f"annobot_bench_{uuid.uuid4().hex[:8]}"
        try:
            if admin is not None:
                stores["postgresql"] = args.pg.rsplit("/", 1)[0] + "/" + scratch
                if not args.reuse:
                    with admin.connect() as conn:
                        conn.execute(text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
                        conn.execute(text(f'CREATE DATABASE "{scratch}"'))
            for name, url in stores.items():
                if not args.reuse:
                    if name == "sqlite":
                        (folder / "bench.db").unlink(missing_ok=True)
                    r = _child("load", url, str(ann_csv), str(gold_csv), str(folder))
                    print(f"load {name}: {json.dumps(r)}")
                r = _child("digest", url, str(folder / f"digest-{name}.json"))
                print(f"digest {name}: {json.dumps(r)}")
            for side in ("frames", "notebook"):
                if side in sides:
                    print(f"{side}: {json.dumps(_child(side, str(ann_csv), str(gold_csv)))}")
        finally:
            if admin is not None:
                if not args.keep:
                    with admin.connect() as conn:
                        conn.execute(text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
                admin.dispose()
    print("load average:", " ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
