"""Choose the fusion's constants (lexical weight, cosine floor, rank weight, cosine span) on the tuning half.

Usage: .venv/bin/python bench/fusion_tune.py [--rrf]
Publishes the examples into a SQLite file with their vectors, asks every question once as
bench/lookup_quality.py does (in its project's channel: the lexical candidates with their BM25F scores,
and the cosine of every section), then scores each grid point of `fuse_scores` on the tuning half (odd
ids) and prints the best ones with their held-out (even ids) figures: the held-out half plays no part in
the choice. The context guideline is weighed after fusing as bot/store/fused.py weighs it. `--rrf` grids
the reciprocal rank fusion used before (k, semantic weight, floor) instead, for comparison.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.lookup_quality import (  # noqa: E402
    DEPTH,
    add_projects,
    asked_in,
    first_right,
    halve,
    load_questions,
    scores,
    sqlite_store,
)
from bot.jobs.guide import parse_guide_text  # noqa: E402
from bot.semantic import encoder as semantic  # noqa: E402
from bot.store import fused  # noqa: E402
from bot.store.closest import closest_sections  # noqa: E402
from bot.store.db import session_scope  # noqa: E402
from bot.store.guide_context import assumed_guideline  # noqa: E402
from bot.store.search import CANDIDATES, search_sections  # noqa: E402
from bot.store.vectors import fingerprint as stored_fingerprint  # noqa: E402
from guidelines.search.context import boost_for  # noqa: E402
from guidelines.search.fusion import (  # noqa: E402
    ALONE_COSINE,
    SEMANTIC_DEPTH,
    Fused,
    fuse_scores,
    rrf,
    section_scores,
)
from guidelines.search.ranking import context_key, keep_one_other  # noqa: E402

LEXICAL_WEIGHTS = (0.3, 0.4, 0.5, 0.55, 0.6, 0.7)
FLOORS = (0.1, 0.15, 0.2)
RANK_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)
# The cosine's scale: a fixed span, or None (printed "best"): the query's best cosine, as before.
SPANS = (None, 0.4, 0.5, 0.6, 0.7)
RRF_KS = (1, 5, 10, 60)
RRF_WEIGHTS = (0.5, 0.75, 1.0, 1.5)


def asked(questions: Sequence) -> dict[str, dict]:  # type: ignore[type-arg]
    """Each question asked once: its lexical (key, score) pairs, section cosines, context, fallback titles."""
    rows: dict[str, dict] = {}
    with sqlite_store(True) as engine:
        add_projects(engine, questions)
        projects = sorted({q.project for q in questions if q.project})
        with session_scope(engine) as session:
            enc = semantic.load_encoder()
            for q in questions:
                req = parse_guide_text(q.text)
                assumed = assumed_guideline(
                    session, user_id="", place=asked_in(q, "project", projects), named=req.named
                )
                query = req.named_query if assumed and assumed.why == "named" else req.query
                ctx = assumed.slug if assumed else None
                boost = boost_for(assumed) if assumed else None
                lexical = search_sections(
                    session, query, version=req.version, limit=CANDIDATES, context=ctx, context_boost=boost
                )
                m = fused.chunk_matrix(session, None, req.version, stored_fingerprint(enc.fingerprint))
                assert m is not None
                sims = section_scores(m.vectors @ fused.query_vector(enc.fingerprint, query), m.starts)
                order = sorted(range(len(sims)), key=lambda i: (-float(sims[i]), i))
                rows[q.id] = {
                    "lexical": [(f"{h.guideline}#{h.anchor}", h.score) for h in lexical.hits],
                    "near": [(f"{m.keys[i][0]}#{m.keys[i][2]}", float(sims[i])) for i in order],
                    "context": ctx,
                    "boost": boost,
                    "closest": [f"{s}#{a}" for s, _v, a, _t in closest_sections(session, query, DEPTH)]
                    if not lexical.hits
                    else [],
                }
    return rows


def ranking(row: dict, floor: float, fuse: Callable[[list, list], list[Fused]]) -> list[str]:
    """What fuse_semantic answers for one question with this fusion (the context weighed after it)."""
    lexical = row["lexical"]
    cut = floor if lexical else ALONE_COSINE
    near = [(k, s) for k, s in row["near"][:SEMANTIC_DEPTH] if s >= cut]
    if not near:
        return [k for k, _ in lexical[:DEPTH]] or row["closest"]
    out = fuse(lexical, near)
    ctx = row["context"]
    if ctx:
        out = sorted(out, key=lambda f: context_key(f.score, str(f.key).split("#")[0] == ctx, row["boost"]))
        out = keep_one_other(out, lambda f: str(f.key).split("#")[0] == ctx, DEPTH)
    return [str(f.key) for f in out[:DEPTH]]


def main(argv: Sequence[str] | None = None) -> int:
    """Ask once, grid over the constants, print the best on the tuning half and their held-out figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rrf", action="store_true", help="grid the reciprocal rank fusion instead")
    ap.add_argument("--top", type=int, default=15, help="how many of the best settings to print")
    args = ap.parse_args(argv)
    questions = load_questions()
    rows = asked(questions)
    grid: list[tuple[tuple[float | None, ...], Callable[[list, list], list[Fused]], float]] = []
    if args.rrf:
        for k, w, floor in itertools.product(RRF_KS, RRF_WEIGHTS, FLOORS):
            grid.append(
                (
                    (k, w, floor),
                    lambda lex, near, k=k, w=w: rrf(
                        [a for a, _ in lex], [a for a, _ in near], k=k, semantic_weight=w
                    ),
                    floor,
                )
            )
    else:
        for lw, floor, rw, span in itertools.product(LEXICAL_WEIGHTS, FLOORS, RANK_WEIGHTS, SPANS):
            grid.append(
                (
                    (lw, floor, rw, span),
                    lambda lex, near, lw=lw, floor=floor, rw=rw, span=span: fuse_scores(
                        lex, near, lexical_weight=lw, floor=floor, rank_weight=rw, span=span
                    ),
                    floor,
                )
            )
    results = []
    for params, fuse, floor in grid:
        ranks = {q.id: first_right(ranking(rows[q.id], floor, fuse), q.anchors) for q in questions}
        tune = scores([ranks[q.id] for q in halve(questions, "tune")])
        held = scores([ranks[q.id] for q in halve(questions, "held-out")])
        alls = scores(list(ranks.values()))
        results.append(((tune["top1"], tune["mrr10"]), params, tune, held, alls))
    results.sort(key=lambda r: r[0], reverse=True)
    head = "k    weight floor" if args.rrf else "lex  floor rank span"
    print(f"{head} | tune top1 top3 mrr   | held-out top1 top3 mrr | all top1 top3")
    for _, params, tune, held, alls in results[: args.top]:
        cells = " ".join("best " if p is None else f"{p:<5g}" for p in params)
        print(
            f"{cells} | {tune['top1'] * 100:5.1f} {tune['top3'] * 100:5.1f} {tune['mrr10']:.3f} "
            f"| {held['top1'] * 100:5.1f} {held['top3'] * 100:5.1f} {held['mrr10']:.3f} "
            f"| {alls['top1'] * 100:5.1f} {alls['top3'] * 100:5.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
