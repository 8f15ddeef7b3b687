"""A/B latency of two `search_sections`, called alternately on one 20,000-section database per backend.

Usage: python bench/search_ab.py sqlite|postgresql [--queries 400] [--old /work/main/bot/store/search.py]
The old module is loaded from that file (its imports resolve to this tree); each query is asked of
both, in alternating order, in one process, so the machine's load falls on both alike. The
databases are kept (/var/tmp/annobot_search_ab.db, PostgreSQL database annobot_search_ab) and reused:
delete them after a schema change. Figures go to BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy import Engine, create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpus import query_mix, synthetic_documents
from bench.search import percentile
from bot.store import search as new
from bot.store.db import make_engine, session_scope, upgrade_to_head
from bot.store.guidelines import publish

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
URLS = {
    "sqlite": "sqlite:////var/tmp/annobot_search_ab.db",
    "postgresql": PG_SERVER.rsplit("/", 1)[0] + "/annobot_search_ab",
}


def build(url: str) -> Engine:
    """The benchmark corpus, published once."""
    if url.startswith("postgresql"):
        admin = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            if not c.execute(text("SELECT 1 FROM pg_database WHERE datname = 'annobot_search_ab'")).scalar():
                c.execute(text('CREATE DATABASE "annobot_search_ab"'))
        admin.dispose()
    engine = make_engine(url)
    upgrade_to_head(engine)
    with session_scope(engine) as s:
        if s.execute(text("SELECT count(*) FROM sections")).scalar():
            return engine
    for doc in synthetic_documents(20_000):
        with session_scope(engine) as s:
            publish(s, doc, embed=False)
    if engine.dialect.name == "postgresql":
        with engine.begin() as c:
            c.execute(text("ANALYZE"))
    return engine


def main() -> None:
    """Time both, print p50 / p90 / p99 and the load average before and after."""
    ap = argparse.ArgumentParser()
    ap.add_argument("backend", choices=sorted(URLS))
    ap.add_argument("--queries", type=int, default=400)
    ap.add_argument("--old", default="/work/main/bot/store/search.py")
    args = ap.parse_args()
    spec = importlib.util.spec_from_file_location("old_search", args.old)
    assert spec and spec.loader
    old = importlib.util.module_from_spec(spec)
    sys.modules["old_search"] = old  # dataclasses look their module up
    spec.loader.exec_module(old)
    engine = build(URLS[args.backend])
    queries = query_mix(args.queries)
    times: dict[object, list[float]] = {old: [], new: []}
    with session_scope(engine) as s:
        for q in queries[:50]:
            old.search_sections(s, q, limit=5)
            new.search_sections(s, q, limit=5)
        print(os.popen("uptime").read().strip())
        for i, q in enumerate(queries):
            for m in (old, new) if i % 2 == 0 else (new, old):
                t = time.perf_counter()
                m.search_sections(s, q, limit=5)
                times[m].append((time.perf_counter() - t) * 1000)
        print(os.popen("uptime").read().strip())
    engine.dispose()
    for name, m in (("old", old), ("this tree", new)):
        v = times[m]
        print(
            f"{args.backend} {name:<10} p50 {percentile(v, 50):.2f} ms  p90 {percentile(v, 90):.2f} ms  "
            f"p99 {percentile(v, 99):.2f} ms  mean {statistics.fmean(v):.2f} ms"
        )


if __name__ == "__main__":
    main()
