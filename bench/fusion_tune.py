"""Choose the fusion's constants (RRF k, semantic weight, cosine floor) on the tuning half of the set.

Usage: .venv/bin/python bench/fusion_tune.py
Publishes the examples into a SQLite file, ranks every question lexically and semantically once, then
scores each grid point on the tuning half (odd ids) and prints the best ones with their held-out
(even ids) figures: the held-out half plays no part in the choice.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.lookup_quality import DEPTH, first_right, halve, load_questions, scores, sqlite_store  # noqa: E402
from bot.jobs.guide import parse_guide_text  # noqa: E402
from bot.semantic import encoder as semantic  # noqa: E402
from bot.store import fused  # noqa: E402
from bot.store.db import session_scope  # noqa: E402
from bot.store.search import CANDIDATES, search_sections  # noqa: E402
from guidelines.search.fusion import rrf, section_scores  # noqa: E402

KS = (1, 5, 10, 20, 30, 60, 100)
WEIGHTS = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0)
FLOORS = (0.0, 0.15, 0.2, 0.25, 0.3, 0.35)
DEPTHS = (10, 30)


def main() -> int:
    """Rank once, grid over the constants, print the best on the tuning half and their held-out figures."""
    questions = load_questions()
    rows = {}
    with sqlite_store(True) as engine, session_scope(engine) as session:
        enc = semantic.load_encoder()
        for q in questions:
            req = parse_guide_text(q.text)
            lexical = search_sections(session, req.query, version=req.version, limit=CANDIDATES)
            keys = [f"{h.guideline}#{h.anchor}" for h in lexical.hits]
            m = fused.chunk_matrix(session, None, req.version, enc.fingerprint)
            assert m is not None
            sims = section_scores(m.vectors @ fused.query_vector(enc.fingerprint, req.query), m.starts)
            order = sorted(range(len(sims)), key=lambda i: (-float(sims[i]), i))
            rows[q.id] = (keys, [(f"{m.keys[i][0]}#{m.keys[i][2]}", float(sims[i])) for i in order])
    results = []
    for k, w, floor, depth in itertools.product(KS, WEIGHTS, FLOORS, DEPTHS):
        ranks = {}
        for q in questions:
            lexical, near = rows[q.id]
            sem = [key for key, s in near[:depth] if s >= floor]
            ranking = [str(f.key) for f in rrf(lexical, sem, k=k, semantic_weight=w)]
            ranks[q.id] = first_right(ranking[:DEPTH], q.anchors)
        tune = scores([ranks[q.id] for q in halve(questions, "tune")])
        held = scores([ranks[q.id] for q in halve(questions, "held-out")])
        results.append(((tune["top1"], tune["mrr10"]), (k, w, floor, depth), tune, held))
    results.sort(key=lambda r: r[0], reverse=True)
    print("k    weight floor depth | tune top1 top3 mrr | held-out top1 top3 mrr")
    for _, (k, w, floor, depth), tune, held in results[:15]:
        print(
            f"{k:<4} {w:<6} {floor:<5} {depth:<5} | {tune['top1'] * 100:5.1f} {tune['top3'] * 100:5.1f} "
            f"{tune['mrr10']:.3f} | {held['top1'] * 100:5.1f} {held['top3'] * 100:5.1f} {held['mrr10']:.3f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
