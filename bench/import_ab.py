"""A/B of bench/import.py's scenarios across checkouts: one child process per (checkout, backend).

Each checkout's own bench/import.py is loaded and its `_import` (time, rows/s, peak RSS) called per
scenario, with the setup of its `child` (the guideline published without chunk vectors where publish
has `embed`); a PostgreSQL statement running past `--timeout` (PGOPTIONS statement_timeout) stops that
scenario only: its transaction rolls back and the next scenarios run on the same state. The load
average is read before each scenario. Used where one side's bench/import.py does not finish.

Usage: .venv/bin/python bench/import_ab.py --rows 300000 --trees main=/work/main,branch=. \
           --order sqlite:main,sqlite:branch,postgresql:main,postgresql:branch [--timeout 120]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def child(tree: str, url: str, csv_path: Path, tmp: Path) -> dict:
    sys.path.insert(0, tree)
    spec = importlib.util.spec_from_file_location("bench_import", f"{tree}/bench/import.py")
    bench = importlib.util.module_from_spec(spec)
    sys.modules["bench_import"] = bench
    spec.loader.exec_module(bench)
    from sqlalchemy.exc import OperationalError

    import bot

    assert bot.__file__.startswith(tree), bot.__file__
    engine = bench.make_engine(url)
    bench.upgrade_to_head(engine)
    with bench.session_scope(engine) as s:
        import inspect

        kw = {"embed": False} if "embed" in inspect.signature(bench.publish).parameters else {}
        bench.publish(s, bench._guideline(tmp), **kw)
        bench.add_project(s, "bench", "mini", [])
        bench.add_project(s, "bench2", "mini", [])
    out = {}

    def run(key: str, project: str) -> None:
        load = os.getloadavg()[0]
        t0 = time.perf_counter()
        try:
            out[key] = bench._import(engine, csv_path, project)
        except OperationalError as exc:  # the statement timeout: recorded, the next scenario runs
            out[key] = {"stopped": f"{type(exc.orig).__name__} after {time.perf_counter() - t0:.0f} s"}
        out[key]["load"] = round(load, 2)

    run("first", "bench")
    run("again", "bench")
    seed = tmp / "seed.csv"
    seed.write_text("item_id,annotator,label,task\nseed,ann000,Positive,sentiment\n", encoding="utf-8")
    bench.import_annotations(engine, seed, "bench2", "csv")
    run("more", "bench2")
    engine.dispose()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=300_000)
    ap.add_argument("--order", default="sqlite:main,sqlite:branch,postgresql:main,postgresql:branch")
    ap.add_argument("--trees", help="LABEL=PATH,… (required); 'branch' is where the CSV generator is taken")
    ap.add_argument("--timeout", type=int, default=300, help="PostgreSQL statement_timeout, seconds")
    ap.add_argument("--child", nargs=3, metavar=("TREE", "URL", "CSV"))
    args = ap.parse_args()
    if args.child:
        with tempfile.TemporaryDirectory() as tmp:
            print(json.dumps(child(args.child[0], args.child[1], Path(args.child[2]), Path(tmp))))
        return
    if not args.trees:
        ap.error("--trees is required")
    trees = dict(x.split("=") for x in args.trees.split(","))
    sys.path.insert(0, trees["branch"])
    from sqlalchemy import create_engine, text

    from bench.gen_annotations import generate

    with tempfile.TemporaryDirectory() as tmp:
        csv_path = generate(Path(tmp) / "annotations.csv", args.rows)
        admin = create_engine(PG, isolation_level="AUTOCOMMIT")
        for step in args.order.split(","):
            backend, label = step.split(":")
            tree = trees[label]
            scratch = f"annobot_importagg_{uuid.uuid4().hex[:8]}"
            if backend == "sqlite":
                url = f"sqlite:///{tmp}/{scratch}.db"
            else:
                with admin.connect() as conn:
                    conn.execute(text(f'CREATE DATABASE "{scratch}"'))
                url = PG.rsplit("/", 1)[0] + "/" + scratch
            env = {
                **os.environ,
                "PYTHONPATH": tree,
                "PGOPTIONS": f"-c statement_timeout={args.timeout * 1000}",
            }
            head = subprocess.run(
                ["git", "-C", tree, "rev-parse", "--short", "HEAD"], capture_output=True, text=True
            ).stdout.strip()
            started = time.strftime("%H:%M:%S", time.gmtime())
            try:
                out = subprocess.run(
                    [sys.executable, __file__, "--child", tree, url, str(csv_path)],
                    check=True,
                    capture_output=True,
                    text=True,
                    env=env,
                    cwd=tree,
                )
                results = json.loads(out.stdout.strip().splitlines()[-1])
            finally:
                if backend == "postgresql":
                    with admin.connect() as conn:
                        conn.execute(text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
                elif Path(f"{tmp}/{scratch}.db").exists():
                    for suffix in ("", "-wal", "-shm"):
                        Path(f"{tmp}/{scratch}.db{suffix}").unlink(missing_ok=True)
            print(
                json.dumps(
                    {"backend": backend, "tree": label, "commit": head, "started_utc": started, **results}
                )
            )
            sys.stdout.flush()
        admin.dispose()


if __name__ == "__main__":
    main()
