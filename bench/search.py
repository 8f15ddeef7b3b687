"""Search latency on a 20,000-section synthetic corpus, SQLite and PostgreSQL (in-process).

Usage: .venv/bin/python bench/search.py [--sections 20000] [--queries 1000] [--pg URL] [--semantic on|off]
       [--context] [--backend sqlite|postgresql|both] [--show-differences N] [--keep DIR] [--build-only]
Prints p50/p99 per backend and (both backends) how many queries get the same top five (slug, anchor,
in order) on SQLite and PostgreSQL (issue 15 item 8); figures go to BENCHMARKS.md. `--context` asks each query with a context
guideline (the i-th query the i-th guideline's, cyclically, weighted as `/guide` weighs a channel's).

--semantic on times what `/guide` runs with the extra installed (bot/store/fused.py): the lexical
search, the query embedded (the LRU of query vectors is cleared before each timed query, so every
query pays its embedding), the cosine over every chunk of the current versions and the fusion. The
corpus's chunk vectors are random unit vectors, as many per section as section_texts embeds: embedding
25,000 chunks would take about 40 CPU-minutes here, and the cost of a lookup does not depend on the
values of the vectors.

`--keep DIR` keeps the built stores (building takes minutes) and reuses them in later runs with the
same --sections (always built with the chunk vectors): the SQLite file DIR/search-<sections>.db and
the PostgreSQL database annobot_bench_search_keep_<sections>, recorded in DIR/manifest.json once fully
loaded (a half-built store is rebuilt). A kept store is upgraded to head on reuse (an added index
applies); delete DIR after a change to what publish stores. `--build-only` builds (or checks) and stops.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpus import query_mix, synthetic_documents
from bot.store.db import make_engine, session_scope, upgrade_to_head
from bot.store.guidelines import publish
from bot.store.search import search_sections
from guidelines.search.context import CONTEXT_BOOST

SEMANTIC = False


def fake_vectors(engine, seed: int = 5) -> int:  # type: ignore[no-untyped-def]
    """Random unit chunk vectors for every section (as many texts as section_texts embeds); rows stored."""
    import numpy as np
    from sqlalchemy import insert, select

    from bot.semantic.encoder import load_encoder
    from bot.store.models.guidelines import GuidelineVersion, Section
    from bot.store.models.vectors import SectionChunk
    from bot.store.vectors import fingerprint as stored_fingerprint
    from guidelines.search.fusion import section_texts

    fingerprint = stored_fingerprint(load_encoder().fingerprint)
    rng = np.random.default_rng(seed)
    stored = 0
    with session_scope(engine) as s:
        rows = s.execute(
            select(
                Section.id,
                Section.version_id,
                Section.path,
                Section.plain,
                Section.aliases,
                GuidelineVersion.title,
            )
            .join(GuidelineVersion, GuidelineVersion.id == Section.version_id)
            # Each section's random vectors by document order, not row order (which differs between
            # databases): both backends get the same vectors, so their fused answers can be compared.
            .order_by(GuidelineVersion.title, GuidelineVersion.version, Section.position)
        ).all()
        batch = []
        for sid, vid, path, plain, aliases, title in rows:
            for position, _text in enumerate(section_texts(title, tuple(path), plain, aliases or ())):
                v = rng.standard_normal(384).astype("<f4")
                v /= np.linalg.norm(v)
                batch.append(
                    {
                        "version_id": vid,
                        "section_id": sid,
                        "position": position,
                        "fingerprint": fingerprint,
                        "text_hash": f"{sid}-{position}",
                        "vector": v.tobytes(),
                    }
                )
            if len(batch) >= 2000:
                s.execute(insert(SectionChunk), batch)
                stored += len(batch)
                batch = []
        if batch:
            s.execute(insert(SectionChunk), batch)
            stored += len(batch)
    return stored


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def components(session, queries: list[str]) -> dict[str, tuple[float, float]]:  # type: ignore[no-untyped-def]
    """p50 / p99 wall ms of each step of a fused lookup, timed apart on one thread (fused_search runs the
    lexical search while another thread embeds and compares): lexical (CANDIDATES, without snippets),
    highlighting the first five, query embedding (uncached), cosine + section max + top 30 over the
    cached matrix."""
    from bot.semantic.encoder import load_encoder
    from bot.store.fused import chunk_matrix, nearest_sections, query_vector
    from bot.store.search import CANDIDATES, highlight
    from bot.store.vectors import fingerprint as stored_fingerprint

    enc = load_encoder()
    matrix = chunk_matrix(session, None, None, stored_fingerprint(enc.fingerprint))
    assert matrix is not None
    steps: dict[str, list[float]] = {"lexical": [], "highlight": [], "embed": [], "cosine": []}
    for q in queries:
        t = time.perf_counter()
        lexical = search_sections(session, q, limit=CANDIDATES, snippets=False)
        steps["lexical"].append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        highlight(session, lexical.query, lexical.hits[:5], lexical.section_ids[:5])
        steps["highlight"].append((time.perf_counter() - t) * 1000)
        query_vector.cache_clear()
        t = time.perf_counter()
        v = query_vector(enc.fingerprint, q)
        steps["embed"].append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        nearest_sections(matrix, lambda v=v: v)  # on this thread alone: /guide shares it with the lexical one
        steps["cosine"].append((time.perf_counter() - t) * 1000)
    return {k: (percentile(v, 50), percentile(v, 99)) for k, v in steps.items()}


class Kept:
    """Stores kept under a folder (see the docstring): where they are and whether they are complete."""

    def __init__(self, folder: Path, pg: str, sections: int) -> None:
        self.folder, self.pg = folder, pg
        self.tag = str(sections)  # a kept store always has its chunk vectors: --semantic off ignores them
        self.manifest = folder / "manifest.json"
        folder.mkdir(parents=True, exist_ok=True)

    def _entries(self) -> dict:
        return json.loads(self.manifest.read_text(encoding="utf-8")) if self.manifest.exists() else {}

    def url(self, backend: str) -> str:
        """The kept store's URL."""
        if backend == "sqlite":
            return f"sqlite:///{self.folder / f'search-{self.tag}.db'}"
        return self.pg.rsplit("/", 1)[0] + f"/annobot_bench_search_keep_{self.tag}"

    def loaded(self, backend: str) -> dict | None:
        """The load figures of a complete kept store, else None."""
        entry = self._entries().get(f"{backend}/{self.tag}")
        if entry is None:
            return None
        if backend == "sqlite":
            return entry if Path(self.url(backend).removeprefix("sqlite:///")).exists() else None
        admin = create_engine(self.pg, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            name = self.url(backend).rsplit("/", 1)[1]
            found = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
        admin.dispose()
        return entry if found else None

    def fresh(self, backend: str) -> str:
        """Drop whatever is kept for this backend; the URL of an empty store."""
        self.record(backend, None)
        url = self.url(backend)
        if backend == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
            return url
        admin = create_engine(self.pg, isolation_level="AUTOCOMMIT")
        name = url.rsplit("/", 1)[1]
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        return url

    def record(self, backend: str, entry: dict | None) -> None:
        """Remember a complete load (or forget one); re-read first, a run per backend may build beside."""
        entries = self._entries()
        entries.pop(f"{backend}/{self.tag}", None)
        if entry is not None:
            entries[f"{backend}/{self.tag}"] = entry
        tmp = self.manifest.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(entries, indent=2), encoding="utf-8")
        tmp.replace(self.manifest)


def build(url: str, docs: list, vectors: bool) -> dict[str, float]:
    """Publish the corpus (and its fake chunk vectors if `vectors`) into an empty store."""
    engine = make_engine(url)
    upgrade_to_head(engine)
    t0 = time.perf_counter()
    with session_scope(engine) as s:
        for doc in docs:
            publish(s, doc, embed=False)
    load_s = time.perf_counter() - t0
    chunks = fake_vectors(engine) if vectors else 0
    if engine.dialect.name == "postgresql":
        # VACUUM too, as autovacuum would after a load: without the visibility map PostgreSQL's
        # index-only scans of section_terms read the heap for every row.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM (ANALYZE)"))
    engine.dispose()
    return {"load_s": load_s, "chunks": chunks}


def run(
    url: str, docs: list, queries: list[str], context: bool = False, loaded: dict | None = None
) -> dict[str, float]:
    """Load the corpus (unless `loaded`: a kept store's figures), warm up, then time each query once."""
    if loaded is None:
        loaded = build(url, docs, SEMANTIC)
    load_s, chunks = loaded["load_s"], loaded["chunks"]
    engine = make_engine(url)
    upgrade_to_head(engine)  # a kept store gets indexes added since
    times, cpu, tops = [], [], []
    first_ms = 0.0
    slugs = [d.meta.slug for d in docs]

    def args(i: int) -> dict:
        return {"context": slugs[i % len(slugs)], "context_boost": CONTEXT_BOOST} if context else {}

    with session_scope(engine) as s:
        if SEMANTIC:
            from bot.store.fused import fused_search, query_vector

            t = time.perf_counter()
            fused_search(s, "warm up: reads the chunk matrix once", limit=5, semantic_on=True)
            first_ms = (time.perf_counter() - t) * 1000

            def lookup(q: str, i: int) -> list:
                return fused_search(s, q, limit=5, semantic_on=True, **args(i)).hits

            clear = query_vector.cache_clear
        else:

            def lookup(q: str, i: int) -> list:
                return search_sections(s, q, limit=5, **args(i)).hits

            def clear() -> None:
                pass

        for i, q in enumerate(queries[:50]):
            lookup(q, i)
        for i, q in enumerate(queries):
            clear()
            c = time.process_time()
            t = time.perf_counter()
            hits = lookup(q, i)
            times.append((time.perf_counter() - t) * 1000)
            tops.append(tuple(f"{h.guideline}#{h.anchor}" for h in hits))
            # CPU time of this process (PostgreSQL's own work is not in it): the figure the load spares.
            cpu.append((time.process_time() - c) * 1000)
        parts = components(s, queries) if SEMANTIC else {}
    engine.dispose()
    return {
        "parts": parts,
        "chunks": chunks,
        "first_ms": first_ms,
        "load_s": load_s,
        "p50": percentile(times, 50),
        "p99": percentile(times, 99),
        "cpu_p50": percentile(cpu, 50),
        "cpu_p99": percentile(cpu, 99),
        "mean": statistics.fmean(times),
        "max": max(times),
        "tops": tops,  # each query's top five, to compare the backends (issue 15 item 8)
    }


def print_parts(r: dict) -> None:
    """The steps of a fused lookup timed apart (semantic runs only)."""
    for step, (p50, p99) in r["parts"].items():
        print(f"  {step:<9} p50 {p50:.2f} ms  p99 {p99:.2f} ms")


def main() -> None:
    """Run the benchmark on both backends."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--sections", type=int, default=20_000)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    ap.add_argument("--context", action="store_true", help="each query with a context guideline")
    ap.add_argument("--semantic", choices=("on", "off"), default="off")
    ap.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    ap.add_argument(
        "--show-differences", type=int, default=0, metavar="N", help="print N queries whose top five differ"
    )
    ap.add_argument("--keep", type=Path, help="keep the built stores here and reuse them (see the docstring)")
    ap.add_argument("--build-only", action="store_true", help="build (or check) the kept stores and stop")
    args = ap.parse_args()
    if args.build_only and not args.keep:
        ap.error("--build-only needs --keep")
    global SEMANTIC
    SEMANTIC = args.semantic == "on"
    docs = synthetic_documents(args.sections)
    queries = query_mix(args.queries)
    print(
        f"corpus: {sum(len(d.sections) for d in docs)} sections in {len(docs)} guidelines; {len(queries)} queries"
    )
    kept = Kept(args.keep, args.pg, args.sections) if args.keep else None
    if kept:
        for backend in ("sqlite", "postgresql"):
            if args.backend in (backend, "both") and kept.loaded(backend) is None:
                print(f"building the kept {backend} store ({kept.url(backend)})", flush=True)
                kept.record(backend, build(kept.fresh(backend), docs, vectors=True))
        if args.build_only:
            return
    sqlite_tops: list = []
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            if kept:
                r = run(kept.url("sqlite"), docs, queries, args.context, kept.loaded("sqlite"))
            else:
                r = run(f"sqlite:///{tmp}/bench.db", docs, queries, args.context)
            sqlite_tops = r["tops"]
            report("sqlite    ", r)
    if args.backend == "sqlite":
        return
    if kept:
        r = run(kept.url("postgresql"), docs, queries, args.context, kept.loaded("postgresql"))
    else:
        admin = create_engine(args.pg, isolation_level="AUTOCOMMIT")
        # A name of its own: two runs at once (several helpers share the server) must not drop each other's.
        name = f"annobot_bench_search_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            r = run(args.pg.rsplit("/", 1)[0] + "/" + name, docs, queries, args.context)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    report("postgresql", r)
    if args.backend == "both":
        same = sum(1 for a, b in zip(sqlite_tops, r["tops"], strict=True) if a == b)
        print(f"same top five on both backends: {same} of {len(queries)} queries")
        differ = [(q, a, b) for q, a, b in zip(queries, sqlite_tops, r["tops"], strict=True) if a != b]
        for q, a, b in differ[: args.show_differences]:
            print(f"  {q!r}\n    sqlite     {' '.join(a)}\n    postgresql {' '.join(b)}")


def report(name: str, r: dict) -> None:
    """One backend's figures."""
    print(
        f"{name} load {r['load_s']:.1f}s  chunks {r['chunks']}  first {r['first_ms']:.0f} ms  "
        f"p50 {r['p50']:.2f} ms  p99 {r['p99']:.2f} ms  mean {r['mean']:.2f} ms  max {r['max']:.2f} ms  "
        f"cpu p50 {r['cpu_p50']:.2f} ms  cpu p99 {r['cpu_p99']:.2f} ms"
    )
    print_parts(r)


if __name__ == "__main__":
    main()
