"""Import throughput: 1,000,000 synthetic annotation rows (CSV) into SQLite and PostgreSQL.

Usage: .venv/bin/python bench/import.py [--rows 1000000] [--text] [--pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
Each backend runs in its own child process so peak memory (ru_maxrss) is that backend's alone; the
child imports the file into an empty project (the target figure), re-imports it (all rows unchanged),
then imports it into a second project that already has a row (staged path, every key new); peak RSS
is the child's so far (the guideline is published without chunk vectors, so the semantic extra's model
is never loaded in the child).
PostgreSQL runs in a scratch database created and dropped here. Figures go to BENCHMARKS.md.
--text adds a `text` column (each item's display data, written to `items` after the annotations).
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

from sqlalchemy import create_engine, text

from bench.gen_annotations import generate
from bot.imports.load import import_annotations
from bot.store.db import make_engine, session_scope, upgrade_to_head
from bot.store.guidelines import publish
from bot.store.projects import add_project
from guidelines.parse import load_guideline


def _guideline(tmp: Path):
    from tests.support.guidelines import mini

    return load_guideline(mini(tmp))


SCENARIOS = (
    ("first", "into an empty project: the target"),
    ("again", "the same file again: every row unchanged"),
    ("more", "every key new, into a project that has rows"),
)


def _import(engine, csv_path: Path, project: str) -> dict[str, float]:
    t0 = time.perf_counter()
    summary = import_annotations(engine, csv_path, project, "csv")
    elapsed = time.perf_counter() - t0
    return {
        "rows": summary.read,
        "inserted": summary.inserted,
        "items": summary.items,
        "seconds": round(elapsed, 2),
        "rows_per_s": round(summary.read / elapsed),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def child(url: str, csv_path: Path, tmp: Path) -> dict[str, dict[str, float]]:
    """Set up two projects; import into an empty one, again, then into one that has a row already."""
    engine = make_engine(url)
    upgrade_to_head(engine)
    with session_scope(engine) as s:
        # No chunk vectors: the embedding model would be the child's peak memory, not the import.
        publish(s, _guideline(tmp), embed=False)
        add_project(s, "bench", "mini", [])
        add_project(s, "bench2", "mini", [])
    out = {"first": _import(engine, csv_path, "bench"), "again": _import(engine, csv_path, "bench")}
    seed = tmp / "seed.csv"
    seed.write_text("item_id,annotator,label,task\nseed,ann000,Positive,sentiment\n", encoding="utf-8")
    import_annotations(engine, seed, "bench2", "csv")
    out["more"] = _import(engine, csv_path, "bench2")
    engine.dispose()
    return out


def main() -> None:
    """Generate the file once, then run each backend in a child process."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--text", action="store_true", help="rows carry their item's display text")
    ap.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--child", nargs=2, metavar=("URL", "CSV"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        with tempfile.TemporaryDirectory() as tmp:
            print(json.dumps(child(args.child[0], Path(args.child[1]), Path(tmp))))
        return
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "annotations.csv"
        t0 = time.perf_counter()
        generate(csv_path, args.rows, text=args.text)
        print(
            f"generated {args.rows:,} rows ({csv_path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t0:.1f} s"
        )
        targets = {"sqlite": f"sqlite:///{tmp}/bench.db"}
        admin = create_engine(args.pg, isolation_level="AUTOCOMMIT")
        scratch = f"annobot_bench_{uuid.uuid4().hex[:8]}"
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{scratch}"'))
            targets["postgresql"] = args.pg.rsplit("/", 1)[0] + "/" + scratch
        except Exception as exc:
            print(f"postgresql skipped: {exc}")
        try:
            for name, url in targets.items():
                load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
                out = subprocess.run(
                    [sys.executable, __file__, "--child", url, str(csv_path)],
                    check=True, capture_output=True, text=True,
                )  # fmt: skip
                results = json.loads(out.stdout.strip().splitlines()[-1])
                print(f"{name} (load average before: {load})")
                for key, what in SCENARIOS:
                    r = results[key]
                    print(
                        f"  {r['rows']:>9,} rows  {r['seconds']:>6.2f} s  {r['rows_per_s']:>9,} rows/s"
                        f"  inserted {r['inserted']:>9,}  items {r['items']:>7,}  peak RSS {r['peak_rss_mb']:.0f} MB  ({what})"
                    )
        finally:
            if "postgresql" in targets:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
