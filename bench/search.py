"""Search latency on a 20,000-section synthetic corpus, SQLite and PostgreSQL (in-process).

Usage: .venv/bin/python bench/search.py [--sections 20000] [--queries 1000] [--pg URL] [--context]
Prints p50/p99 per backend; figures go to BENCHMARKS.md. `--context` asks each query with a context
guideline (the i-th query the i-th guideline's, cyclically, weighted as `/guide` weighs a channel's).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpus import query_mix, synthetic_documents
from bot.store.db import make_engine, session_scope, upgrade_to_head
from bot.store.guidelines import publish
from bot.store.search import search_sections
from guidelines.search.context import CONTEXT_BOOST


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def run(url: str, docs: list, queries: list[str], context: bool = False) -> dict[str, float]:
    """Load the corpus, warm up, then time each query once."""
    engine = make_engine(url)
    upgrade_to_head(engine)
    t0 = time.perf_counter()
    with session_scope(engine) as s:
        for doc in docs:
            publish(s, doc)
    load_s = time.perf_counter() - t0
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    times = []
    slugs = [d.meta.slug for d in docs]

    def args(i: int) -> dict:
        return {"context": slugs[i % len(slugs)], "context_boost": CONTEXT_BOOST} if context else {}

    with session_scope(engine) as s:
        for i, q in enumerate(queries[:50]):
            search_sections(s, q, limit=5, **args(i))
        for i, q in enumerate(queries):
            t = time.perf_counter()
            search_sections(s, q, limit=5, **args(i))
            times.append((time.perf_counter() - t) * 1000)
    engine.dispose()
    return {
        "load_s": load_s,
        "p50": percentile(times, 50),
        "p99": percentile(times, 99),
        "mean": statistics.fmean(times),
        "max": max(times),
    }


def main() -> None:
    """Run the benchmark on both backends."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--sections", type=int, default=20_000)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    ap.add_argument("--context", action="store_true", help="each query with a context guideline")
    args = ap.parse_args()
    docs = synthetic_documents(args.sections)
    queries = query_mix(args.queries)
    print(
        f"corpus: {sum(len(d.sections) for d in docs)} sections in {len(docs)} guidelines; {len(queries)} queries"
    )
    with tempfile.TemporaryDirectory() as tmp:
        r = run(f"sqlite:///{tmp}/bench.db", docs, queries, args.context)
        print(
            f"sqlite     load {r['load_s']:.1f}s  p50 {r['p50']:.2f} ms  p99 {r['p99']:.2f} ms  mean {r['mean']:.2f} ms  max {r['max']:.2f} ms"
        )
    admin = create_engine(args.pg, isolation_level="AUTOCOMMIT")
    name = "annobot_bench_search"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        r = run(args.pg.rsplit("/", 1)[0] + "/" + name, docs, queries, args.context)
        print(
            f"postgresql load {r['load_s']:.1f}s  p50 {r['p50']:.2f} ms  p99 {r['p99']:.2f} ms  mean {r['mean']:.2f} ms  max {r['max']:.2f} ms"
        )
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
