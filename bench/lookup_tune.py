"""Grid search of the BM25F parameters on the tuning half of the evaluation set (issue 15 item 2).

Usage: .venv/bin/python bench/lookup_tune.py [--backend sqlite|postgresql]

Field weights (title, path; body stays 1), k1 and b first, then the boosts of kept-word features and
of surface cues at the best of those; each setting is judged on the tuning half only (odd question ids,
bench/lookup_quality.py `half_of`) by top-1, then MRR@10, then top-3. Prints the best settings and
their figures on the tuning half, the held-out half and all questions: copy them into
guidelines/search/ranking.py and bot/store/search.py by hand (the held-out half was not looked at
while choosing them).
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.lookup_quality import (
    DEPTH,
    PG_SERVER,
    evaluate,
    half_of,
    load_questions,
    postgres_store,
    sqlite_store,
)
from bot.jobs.guide import parse_guide_text
from bot.store import search
from bot.store.closest import closest_sections
from bot.store.db import session_scope
from guidelines.search import ranking

TITLE = (1.0, 1.5, 3.0, 6.0, 10.0)
PATH = (0.0, 1.0, 3.0)
K1 = (0.6, 1.2, 2.0)
B = (0.3, 0.6, 0.9)
FEATURE = (0.5, 1.0, 2.0, 4.0, 8.0)
CUE = (0.0, 0.5, 1.0, 2.0, 4.0)


def _set(title: float, path: float, k1: float, b: float, feature: float, cue: float) -> None:
    ranking.WEIGHTS, ranking.K1, ranking.B = (title, path, 1.0), k1, b
    search.FEATURE_BOOST, search.CUE_BOOST = feature, cue


def _key(result: dict) -> tuple[float, float, float]:
    o = result["overall"]
    return (round(o["top1"], 6), round(o["mrr10"], 6), round(o["top3"], 6))


def main(argv: Sequence[str] | None = None) -> int:
    """Search the grid and print the best setting."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    args = ap.parse_args(argv)
    questions = load_questions()
    tuning = [q for q in questions if half_of(q.id) == "tuning"]
    heldout = [q for q in questions if half_of(q.id) == "heldout"]
    store = sqlite_store() if args.backend == "sqlite" else postgres_store(PG_SERVER)
    with store as engine:
        # The candidates do not depend on the weights: read each question's pool once, then rank
        # it for every setting (what search_sections does, without the snippets).
        pools: dict[str, search.Pool | list[str]] = {}
        with session_scope(engine) as session:
            for q in questions:
                req = parse_guide_text(q.text)
                if req.kind != "search":
                    pools[q.text] = []
                    continue
                pool = search.candidate_pool(session, req.query, version=req.version)
                if isinstance(pool, search.SearchResult):
                    found = closest_sections(session, req.query, DEPTH)
                    pools[q.text] = [f"{slug}#{anchor}" for slug, _v, anchor, _t in found]
                else:
                    pools[q.text] = pool

        def ranking_of(text: str) -> list[str]:
            pool = pools[text]
            if isinstance(pool, list):
                return pool
            return [f"{r.slug}#{r.anchor}" for _, r in search.rank_pool(pool, DEPTH)]

        def run(qs: Sequence, setting: tuple) -> dict:
            _set(*setting)
            return evaluate("annobot", ranking_of, qs)

        start = (10.0, 3.0, 1.2, 0.75, 1.0, 1.0)
        best, best_key = start, _key(run(tuning, start))
        print(f"start {start}: tuning {best_key}")
        for title, path, k1, b in itertools.product(TITLE, PATH, K1, B):
            setting = (title, path, k1, b, best[4], best[5])
            key = _key(run(tuning, setting))
            if key > best_key:
                best, best_key = setting, key
                print(f"better {setting}: tuning {key}", flush=True)
        for feature, cue in itertools.product(FEATURE, CUE):
            setting = (*best[:4], feature, cue)
            key = _key(run(tuning, setting))
            if key > best_key:
                best, best_key = setting, key
                print(f"better {setting}: tuning {key}", flush=True)
        print("best (title, path, k1, b, feature boost, cue boost):", best)
        for name, qs in (("tuning", tuning), ("heldout", heldout), ("all", questions)):
            o = run(qs, best)["overall"]
            print(
                f"{name:8} n={o['n']}  top1 {o['top1'] * 100:.1f}  top3 {o['top3'] * 100:.1f}  mrr {o['mrr10']:.3f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
