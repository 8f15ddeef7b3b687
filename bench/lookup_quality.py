"""Answer quality of `/guide` on the evaluation set (issue 15): top-1, top-3 and MRR@10 per kind.

Usage: .venv/bin/python bench/lookup_quality.py [--backend sqlite|postgresql|both] [--json]
       [--pg URL] [--questions FILE] [--per-kind N] [--failures N]
       [--context project|none|both|other] [--context-boost X | --partition]

`--context project` (the default) asks each question in a channel of its `project` (each project is
added to the store with its guideline and one channel, as `annobot projects add` does), so the
channel's guideline is assumed as `/guide` assumes it there (bot/store/guide_context.py) and boosted
as `/guide` boosts it (guidelines.search.context.boost_for); `--context-boost X` multiplies its scores
by X instead, `--partition` puts all its matching sections first.
`--context none` asks with no channel: the 'before' figures. `both` measures each. `--context other`
asks each question in the channel of the next project (sorted by name) instead of its own: what the
context costs when an annotator asks about another project's guideline.

Publishes every version of the example guidelines (oldest first) into a fresh store: a SQLite file in
a temporary folder and/or a throwaway PostgreSQL database (created and dropped here, like the test
fixtures do). Each question goes through what `/guide QUESTION` runs in-process: `parse_guide_text`,
then `search_sections` over the current versions, and `closest_sections` (the "did you mean" titles
the answer shows) when nothing matched. The ranking kept is the first 10 sections.

The baseline is a plain SQLite FTS5 table over the same current sections (title and plain-text body,
one row per section, `tokenize='porter unicode61'`, default bm25 weights), the question's words ORed:
SQLite only, whichever backend annobot is measured on. Everything is deterministic: same set, same
figures.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import sys
import tempfile
import tomllib
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, select, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.jobs.guide import NOWHERE, parse_guide_text  # noqa: E402
from bot.store.closest import closest_sections  # noqa: E402
from bot.store.db import make_engine, session_scope, upgrade_to_head  # noqa: E402
from bot.store.guide_context import Place, assumed_guideline  # noqa: E402
from bot.store.guidelines import publish  # noqa: E402
from bot.store.models.guidelines import Guideline, GuidelineVersion, Section  # noqa: E402
from bot.store.projects import add_project  # noqa: E402
from bot.store.search import search_sections  # noqa: E402
from guidelines.parse import load_guideline  # noqa: E402
from guidelines.search.context import CONTEXT_BOOST, boost_for  # noqa: E402

QUESTIONS = ROOT / "bench" / "lookup_questions.toml"
EXAMPLES = ROOT / "examples" / "guidelines"
PG_SERVER = os.environ.get("ANNOBOT_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
KINDS = ("keyword", "paraphrase", "pasted", "short")
DEPTH = 10  # MRR@10: a right answer below the tenth counts as not found

Ranker = Callable[["Question"], list[str]]  # question -> "slug#anchor", best first


@dataclass(frozen=True)
class Question:
    """One entry of the evaluation set."""

    id: str
    kind: str
    guideline: str
    text: str
    anchors: tuple[str, ...]
    project: str | None = None


def load_questions(path: Path = QUESTIONS) -> list[Question]:
    """The questions of the set, in file order."""
    with path.open("rb") as f:
        data = tomllib.load(f)
    return [
        Question(
            id=q["id"],
            kind=q["kind"],
            guideline=q["guideline"],
            text=q["text"],
            anchors=tuple(q["anchors"]),
            project=q.get("project"),
        )
        for q in data["question"]
    ]


def subset(questions: Sequence[Question], per_kind: int | None) -> list[Question]:
    """The first `per_kind` questions of each kind (all when None), in file order."""
    if per_kind is None:
        return list(questions)
    seen: dict[str, int] = {}
    out = []
    for q in questions:
        seen[q.kind] = seen.get(q.kind, 0) + 1
        if seen[q.kind] <= per_kind:
            out.append(q)
    return out


# --- stores ------------------------------------------------------------------


def version_folders(examples: Path = EXAMPLES) -> list[list[Path]]:
    """Each example guideline's version folders, oldest first: the order they are published in."""
    return [sorted(g.glob("v*")) for g in sorted(p for p in examples.iterdir() if p.is_dir())]


def current_folders(examples: Path = EXAMPLES) -> list[Path]:
    """The folder of each example guideline's current version (the last one published)."""
    return [folders[-1] for folders in version_folders(examples)]


def publish_examples(engine: Engine, examples: Path = EXAMPLES) -> None:
    """Publish every example guideline, oldest version first (as tests/bot/helpers.py does)."""
    for folders in version_folders(examples):
        for version in folders:
            with session_scope(engine) as session:
                publish(session, load_guideline(version))


@contextmanager
def sqlite_store() -> Iterator[Engine]:
    """A migrated SQLite file in a temporary folder, with the examples published."""
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/lookup_quality.db")
        try:
            upgrade_to_head(engine)
            publish_examples(engine)
            yield engine
        finally:
            engine.dispose()


@contextmanager
def postgres_store(server: str) -> Iterator[Engine]:
    """A throwaway PostgreSQL database on `server`, migrated, with the examples published; dropped after."""
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"annobot_lookup_quality_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(server.rsplit("/", 1)[0] + "/" + name)
    try:
        upgrade_to_head(engine)
        publish_examples(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# --- rankers -----------------------------------------------------------------


def project_channel(project: str) -> str:
    """The channel id a project's questions are asked in (a Slack-shaped id)."""
    return "CBENCH" + "".join(c for c in project.upper() if c.isalnum())[:24]


def add_projects(engine: Engine, questions: Sequence[Question]) -> None:
    """Each project of the set, with its questions' guideline and its channel, into the store."""
    projects = {q.project: q.guideline for q in questions if q.project}
    with session_scope(engine) as session:
        for name, guideline in sorted(projects.items()):
            add_project(session, name, guideline, [project_channel(name)])


def asked_in(question: Question, mode: str, projects: Sequence[str]) -> Place:
    """Where a question is asked in context `mode`: its project's channel, the next project's, or nowhere."""
    if mode == "none" or not question.project:
        return Place()
    if mode == "other":
        return Place.of(project_channel(projects[(projects.index(question.project) + 1) % len(projects)]))
    return Place.of(project_channel(question.project))


def annobot_ranking(
    engine: Engine, question: Question, *, place: Place = NOWHERE, boost: float | str | None = "bot"
) -> list[str]:
    """What `/guide QUESTION` answers, as "slug#anchor" best first: the hits, else the "did you mean" titles.

    Asked in `place` (a channel of a project, or nowhere); `boost` "bot" weighs the assumed guideline
    as `/guide` does, a number or None (strict partition) overrides it.
    """
    req = parse_guide_text(question.text)
    if req.kind != "search":
        return []
    with session_scope(engine) as session:
        assumed = assumed_guideline(session, user_id="", place=place, named=req.named)
        query = req.named_query if assumed and assumed.why == "named" else req.query
        result = search_sections(
            session,
            query,
            version=req.version,
            limit=DEPTH,
            context=assumed.slug if assumed else None,
            context_boost=(boost_for(assumed) if assumed else None) if boost == "bot" else boost,  # type: ignore[arg-type]
        )
        if result.hits:
            return [f"{h.guideline}#{h.anchor}" for h in result.hits]
        return [f"{slug}#{anchor}" for slug, _v, anchor, _t in closest_sections(session, query, DEPTH)]


def current_sections(engine: Engine) -> list[tuple[str, str, str, str]]:
    """(slug, anchor, title, plain body) of every section of the current versions, in document order."""
    stmt = (
        select(Guideline.slug, Section.anchor, Section.title, Section.plain)
        .join(GuidelineVersion, GuidelineVersion.id == Section.version_id)
        .join(Guideline, Guideline.id == GuidelineVersion.guideline_id)
        .where(GuidelineVersion.is_current)
        .order_by(Guideline.slug, Section.position)
    )
    with session_scope(engine) as session:
        return [tuple(r) for r in session.execute(stmt)]  # type: ignore[misc]


class Baseline:
    """Plain FTS5 bm25 with the porter stemmer: one row per section (title, body), default weights."""

    def __init__(self, sections: Sequence[tuple[str, str, str, str]]) -> None:
        self.db = sqlite3.connect(":memory:")
        self.db.execute(
            "CREATE VIRTUAL TABLE s USING fts5(ref UNINDEXED, title, body, tokenize='porter unicode61')"
        )
        self.db.executemany(
            "INSERT INTO s(rowid, ref, title, body) VALUES (?, ?, ?, ?)",
            [
                (i, f"{slug}#{anchor}", title, body)
                for i, (slug, anchor, title, body) in enumerate(sections, 1)
            ],
        )

    def ranking(self, question: str) -> list[str]:
        """The sections matching any word of the question, by bm25 (ties in document order)."""
        words = dict.fromkeys(w.lower() for w in re.findall(r"\w+", question))
        if not words:
            return []
        match = " OR ".join('"' + w.replace('"', '""') + '"' for w in words)
        rows = self.db.execute(
            "SELECT ref FROM s WHERE s MATCH ? ORDER BY bm25(s), rowid LIMIT ?", (match, DEPTH)
        )
        return [r[0] for r in rows]


# --- metrics -----------------------------------------------------------------


def first_right(ranking: Sequence[str], anchors: Sequence[str]) -> int | None:
    """1-based rank of the first acceptable anchor within the first DEPTH, or None."""
    for i, ref in enumerate(ranking[:DEPTH], 1):
        if ref in anchors:
            return i
    return None


def scores(ranks: Sequence[int | None]) -> dict[str, float]:
    """top-1, top-3 (fractions) and MRR@10 of a list of ranks."""
    n = len(ranks) or 1
    return {
        "n": len(ranks),
        "top1": sum(1 for r in ranks if r == 1) / n,
        "top3": sum(1 for r in ranks if r is not None and r <= 3) / n,
        "mrr10": sum(1 / r for r in ranks if r is not None) / n,
    }


def evaluate(name: str, ranker: Ranker, questions: Sequence[Question]) -> dict:
    """Every question through `ranker`; the figures overall and per kind, and each question's rank."""
    rows = []
    for q in questions:
        ranking = ranker(q)
        rows.append({"id": q.id, "kind": q.kind, "rank": first_right(ranking, q.anchors), "top": ranking[:3]})
    by_kind = {k: scores([r["rank"] for r in rows if r["kind"] == k]) for k in KINDS}
    return {
        "system": name,
        "overall": scores([r["rank"] for r in rows]),
        "by_kind": {k: v for k, v in by_kind.items() if v["n"]},
        "no_answer": sum(1 for r in rows if not r["top"]),
        "questions": rows,
    }


def run(
    backends: Sequence[str],
    questions: Sequence[Question],
    pg: str = PG_SERVER,
    contexts: Sequence[str] = ("project",),
    boost: float | str | None = "bot",
) -> list[dict]:
    """annobot on each backend in each context mode, then the baseline (from the first backend's sections)."""
    results, sections = [], None
    for backend in backends:
        store = sqlite_store() if backend == "sqlite" else postgres_store(pg)
        with store as engine:
            add_projects(engine, questions)
            projects = sorted({q.project for q in questions if q.project})
            for mode in contexts:
                name = f"annobot/{backend}" + {"project": "+channel", "other": "+other-channel"}.get(mode, "")
                results.append(
                    evaluate(
                        name,
                        lambda q, e=engine, m=mode, p=projects: annobot_ranking(
                            e, q, place=asked_in(q, m, p), boost=boost
                        ),
                        questions,
                    )
                )
            sections = sections or current_sections(engine)
    baseline = Baseline(sections or [])
    results.append(evaluate("fts5-bm25/sqlite", lambda q: baseline.ranking(q.text), questions))
    return results


# --- output ------------------------------------------------------------------


def _cell(s: dict) -> str:
    return f"{s['top1'] * 100:5.1f} {s['top3'] * 100:5.1f} {s['mrr10']:.3f}"


def table(results: Sequence[dict]) -> str:
    """One line per system: top-1 %, top-3 %, MRR@10, overall then per kind."""
    kinds = [k for k in KINDS if k in results[0]["by_kind"]]
    head = f"{'system':<26} {'overall (n=' + str(results[0]['overall']['n']) + ')':<19}" + "".join(
        f" {k + ' (n=' + str(results[0]['by_kind'][k]['n']) + ')':<19}" for k in kinds
    )
    sub = f"{'':<26} {'top1  top3  mrr':<19}" + "".join(f" {'top1  top3  mrr':<19}" for _ in kinds)
    lines = [head, sub]
    for r in results:
        cells = [_cell(r["overall"])] + [_cell(r["by_kind"][k]) for k in kinds]
        lines.append(f"{r['system']:<26} " + " ".join(f"{c:<19}" for c in cells))
    return "\n".join(lines)


def failures(result: dict, questions: Sequence[Question], limit: int) -> str:
    """The questions whose right section is not in the top 3, worst first (not found, then by rank)."""
    by_id = {q.id: q for q in questions}
    missed = [r for r in result["questions"] if r["rank"] is None or r["rank"] > 3]
    missed.sort(key=lambda r: (-(r["rank"] or DEPTH + 1), r["id"]))
    lines = [f"{result['system']}: {len(missed)} questions without a right answer in the top 3"]
    for r in missed[:limit]:
        q = by_id[r["id"]]
        got = ", ".join(r["top"]) or "(nothing)"
        lines.append(
            f"  {r['id']} rank {r['rank'] or '-'}: {q.text!r} wants {'|'.join(q.anchors)}; got {got}"
        )
    return "\n".join(lines)


def boost_for_label(boost: float | str) -> str:
    """The boost a run uses, for the table's head."""
    return f"{CONTEXT_BOOST:g} as /guide" if boost == "bot" else f"{boost:g}"


def main(argv: Sequence[str] | None = None) -> int:
    """Measure and print (a table, or JSON with --json)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    ap.add_argument(
        "--pg", default=PG_SERVER, help="PostgreSQL server URL; a throwaway database is made on it"
    )
    ap.add_argument("--questions", type=Path, default=QUESTIONS)
    ap.add_argument("--per-kind", type=int, default=None, help="only the first N questions of each kind")
    ap.add_argument("--failures", type=int, default=0, help="list up to N missed questions per system")
    ap.add_argument(
        "--context",
        choices=("project", "none", "both", "other"),
        default="project",
        help="ask in the channel of each question's project (default), with no channel ('before'), or both",
    )
    ap.add_argument(
        "--context-boost",
        type=float,
        default=None,
        help="multiply the channel guideline's scores by X instead of ranking its sections first",
    )
    ap.add_argument(
        "--partition",
        action="store_true",
        help="rank every matching section of the channel guideline first (a strict partition)",
    )
    ap.add_argument("--json", action="store_true", help="print the figures and every question's rank as JSON")
    args = ap.parse_args(argv)
    if args.per_kind is not None and args.per_kind < 1:
        ap.error("--per-kind must be at least 1")
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    questions = subset(load_questions(args.questions), args.per_kind)
    if args.context_boost is not None and args.context_boost <= 0:
        ap.error("--context-boost must be positive")
    contexts = ("none", "project") if args.context == "both" else (args.context,)
    if args.partition and args.context_boost is not None:
        ap.error("--partition and --context-boost exclude each other")
    boost = None if args.partition else ("bot" if args.context_boost is None else args.context_boost)
    results = run(backends, questions, args.pg, contexts, boost)
    if args.json:
        print(json.dumps({"questions": len(questions), "depth": DEPTH, "results": results}, indent=1))
        return 0
    mode = "strict partition" if boost is None else f"boost x{boost_for_label(boost)}"
    print(
        f"{len(questions)} questions; top-1 and top-3 in %, MRR@{DEPTH}; baseline is SQLite FTS5 only;"
        f" +channel: asked in the project's channel ({mode})"
    )
    print(table(results))
    for r in results:
        print(f"{r['system']}: {r['no_answer']} questions answered with nothing")
    if args.failures:
        for r in results:
            print(failures(r, questions, args.failures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
