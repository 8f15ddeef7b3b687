"""Cost follows the window (issue 14 item 7): a 1-day digest over a long history vs over that day alone.

Usage: .venv/bin/python bench/digest_window.py [--rows 1000000] [--days 60] [--seed 0]
           [--sides sqlite,postgresql] [--pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
           [--dir /tmp/annobot_bench_window] [--repeat 3] [--no-check]
           [--keep DIR] [--build-only] [--stores full,day]
Data (deterministic for a seed): rows/5 items x 5 of 40 annotators, 5 labels, 10% gold, item start times
uniform over `days` days, each rating up to 3 hours after its item's start (some items span midnight).
Items belong to 3 tasks (item i to task i % 3). Two stores per backend: `full` (every day) and `day`
(only the rows of the last day). Each is loaded in one transaction through the bulk loader
(`bot.store.annotations.merge_rows`, the import's store path: straight into the empty project, then the
project's aggregates built), gold through `upsert_gold` (aggregates kept by the writer), as in
production. Then the digest of the last UTC day (`bot.jobs.digest.compute_digest` + the JSON, in this
process, best of --repeat rounds, the two stores taking turns within a round) on both stores; with the
check, the full store's digest is also computed from every row (`from_rows=True`) and compared.
SQLite files and the scratch PostgreSQL databases are deleted at the end, unless `--keep DIR`: then the
SQLite stores are DIR/{full,day}.db and the PostgreSQL ones the databases
annobot_bench_window_{full,day}_{rows}r_{days}d_{seed}s, recorded in DIR/manifest.json (rows, days, seed,
schema revision, load figures) and reused by later runs with the same --keep; a store is rebuilt only
when absent or its manifest entry differs. `--build-only` loads (or checks) the stores and stops.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

LABELS = ("cat", "dog", "bird", "fish", "other")
TASKS = ("species", "pose", "scene")  # item i belongs to task i % 3
PROJECT = "bench"
T0 = datetime(2026, 1, 1, tzinfo=UTC)
GUIDELINE_TOML = f"""slug = "species"
title = "Species"
version = "1.0.0"
labels = {json.dumps(list(LABELS))}
scale = "nominal"
"""
GUIDELINE_RULES = "# Overview\n\nLabel the animal.\n\n" + "".join(
    f"## {lab.title()} {{#{lab}}}\n\nA {lab}: label **{lab}**.\n\n" for lab in LABELS
)


def generate(rows: int, days: int, seed: int) -> dict[str, np.ndarray]:
    """Columns of the annotations (sorted by time) and the gold items."""
    rng = np.random.default_rng(seed)
    n_items = rows // 5
    k = len(LABELS)
    accuracy = rng.uniform(0.7, 0.95, 40)
    truth = rng.integers(0, k, n_items)
    ann = np.stack([rng.choice(40, 5, replace=False) for _ in range(min(n_items, 4096))])
    ann = ann[rng.integers(0, len(ann), n_items)].ravel()  # 5 distinct annotators per item
    item = np.repeat(np.arange(n_items), 5)
    correct = rng.random(len(item)) < accuracy[ann]
    label = np.where(correct, truth[item], rng.integers(0, k, len(item)))
    start = rng.integers(0, days * 86_400, n_items)
    at = start[item] + rng.integers(0, 3 * 3600, len(item))
    order = np.argsort(at, kind="stable")
    gold = np.flatnonzero(rng.random(n_items) < 0.1)
    return {
        "item": item[order],
        "annotator": ann[order],
        "label": label[order],
        "at": at[order],
        "gold_item": gold,
        "gold_label": truth[gold],
    }


def _rows(data: dict[str, np.ndarray], lo: int, hi: int) -> list[tuple[Any, ...]]:
    """AnnotationRow tuples of the ratings with lo <= second < hi."""
    a, b = np.searchsorted(data["at"], [lo, hi])
    base = np.datetime64(T0.replace(tzinfo=None), "s")
    stamps = (base + data["at"][a:b].astype("timedelta64[s]")).astype(str)
    labels = np.array(LABELS, dtype=object)[data["label"][a:b]]
    return [
        (
            TASKS[i % len(TASKS)],
            f"it-{i}",
            f"ann-{w:02d}",
            lab,
            None,
            None,
            None,
            "",
            s.replace("T", " ") + ".000000",
            None,
            None,
            None,
        )
        for i, w, lab, s in zip(data["item"][a:b], data["annotator"][a:b], labels, stamps, strict=True)
    ]


def load(url: str, data: dict[str, np.ndarray], days: range, folder: Path) -> dict[str, float]:
    """Schema, guideline, project; then one merge per day and the gold of the items present."""
    from bot.imports.rows import GoldRow
    from bot.store.annotations import merge_rows, upsert_gold
    from bot.store.db import make_engine, session_scope, upgrade_to_head
    from bot.store.guidelines import publish
    from bot.store.projects import add_project
    from guidelines.parse import load_guideline

    gl = folder / "species"
    gl.mkdir(parents=True, exist_ok=True)
    (gl / "guideline.toml").write_text(GUIDELINE_TOML, encoding="utf-8")
    (gl / "rules.md").write_text(GUIDELINE_RULES, encoding="utf-8")
    engine = make_engine(url)
    upgrade_to_head(engine)
    with session_scope(engine) as s:
        publish(s, load_guideline(gl))
        add_project(s, PROJECT, "species", [])

    def read() -> Any:
        for d in days:  # a day of tuples at a time
            yield from _rows(data, d * 86_400, (d + 1) * 86_400)

    t0 = time.perf_counter()
    with session_scope(engine) as s:
        n = merge_rows(s, PROJECT, "1.0.0", "csv", read)[0]
    t_rows = time.perf_counter() - t0
    lo, hi = np.searchsorted(data["at"], [days.start * 86_400, days.stop * 86_400])
    present = np.isin(data["gold_item"], np.unique(data["item"][lo:hi]))
    gold = [
        GoldRow(TASKS[i % len(TASKS)], f"it-{i}", LABELS[g])
        for i, g in zip(data["gold_item"][present], data["gold_label"][present], strict=True)
    ]
    t0 = time.perf_counter()
    with session_scope(engine) as s:
        upsert_gold(s, PROJECT, gold)
    t_gold = time.perf_counter() - t0
    _analyze(engine)
    engine.dispose()
    return {
        "rows": n,
        "load_s": round(t_rows, 1),
        "rows_per_s": round(n / t_rows),
        "gold_s": round(t_gold, 1),
    }


def digest(engine: Any, start: datetime, end: datetime, from_rows: bool = False) -> tuple[float, str]:
    """Wall time of the 1-day digest + JSON, and the JSON."""
    from bot.jobs.digest import compute_digest
    from reports.render import render_json

    t0 = time.perf_counter()
    d = compute_digest(engine, PROJECT, start, end, tz="UTC", now=end, from_rows=from_rows)
    text = render_json(d)
    return time.perf_counter() - t0, text


def _pg_db(server: str, name: str, create: bool) -> str:
    from sqlalchemy import create_engine, text

    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        if create:
            c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server.rsplit("/", 1)[0] + "/" + name


def _pg_exists(server: str, name: str) -> bool:
    from sqlalchemy import create_engine, text

    admin = create_engine(server)
    with admin.connect() as c:
        found = c.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
    admin.dispose()
    return found is not None


def _upgrade(url: str) -> None:
    """A kept store at the schema head, with planner statistics on PostgreSQL (see _analyze)."""
    from bot.store.db import make_engine, upgrade_to_head

    engine = make_engine(url)
    upgrade_to_head(engine)
    _analyze(engine)
    engine.dispose()


def _analyze(engine: Any) -> None:
    # Autovacuum (off on the test server) would have analyzed a freshly loaded store before long;
    # without statistics PostgreSQL takes each table for a few rows and picks plans for that.
    if engine.dialect.name == "postgresql":
        with engine.connect() as c:
            c.exec_driver_sql("ANALYZE")
            c.commit()


class Kept:
    """Built stores kept under a folder and a manifest, reused when the data parameters match."""

    def __init__(self, folder: Path, pg: str, rows: int, days: int, seed: int) -> None:
        from bot.store.db import head_revision

        self.folder, self.pg = folder, pg
        # the schema revision is recorded, not compared: a kept store is upgraded to head on reuse (an
        # added index applies); a migration that changes what the aggregates hold needs a rebuild (delete DIR)
        self.params = {"rows": rows, "days": days, "seed": seed}
        self.revision = head_revision()
        self.manifest = folder / "manifest.json"
        folder.mkdir(parents=True, exist_ok=True)
        self.entries: dict[str, Any] = (
            json.loads(self.manifest.read_text(encoding="utf-8")) if self.manifest.exists() else {}
        )

    def url(self, side: str, store: str) -> str:
        """Where this side's store lives (the PostgreSQL name says rows, days and seed)."""
        if side == "sqlite":
            return f"sqlite:///{self.folder / f'{store}.db'}"
        r, d, s = self.params["rows"], self.params["days"], self.params["seed"]
        return self.pg.rsplit("/", 1)[0] + f"/annobot_bench_window_{store}_{r}r_{d}d_{s}s"

    def present(self, side: str, store: str) -> dict[str, Any] | None:
        """The load figures of a kept store that matches the parameters, else None."""
        entry = self.entries.get(f"{side}/{store}")
        if not entry or {k: entry["params"].get(k) for k in self.params} != self.params:
            return None
        url = self.url(side, store)
        if side == "sqlite":
            ok = Path(url.removeprefix("sqlite:///")).exists()
        else:
            ok = _pg_exists(self.pg, url.rsplit("/", 1)[1])
        return entry["loaded"] if ok else None

    def fresh(self, side: str, store: str) -> str:
        """Drop whatever is there and return the URL of an empty store to load."""
        self._write(f"{side}/{store}", None)
        url = self.url(side, store)
        if side == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
            return url
        return _pg_db(self.pg, url.rsplit("/", 1)[1], create=True)

    def record(self, side: str, store: str, loaded: dict[str, Any]) -> None:
        """Remember a finished load (written only once the load is complete)."""
        when = datetime.now(UTC).isoformat(timespec="seconds")
        entry = {"params": self.params, "revision": self.revision, "loaded": loaded, "built_at": when}
        self._write(f"{side}/{store}", entry)

    def _write(self, key: str, entry: dict[str, Any] | None) -> None:
        # re-read first: a run per backend may build in parallel into the same folder
        entries = json.loads(self.manifest.read_text(encoding="utf-8")) if self.manifest.exists() else {}
        entries.pop(key, None)
        if entry is not None:
            entries[key] = entry
        self.entries = entries
        tmp = self.manifest.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(entries, indent=2), encoding="utf-8")
        tmp.replace(self.manifest)


def _time_side(
    side: str, urls: dict[str, str], results: dict[str, Any], start: datetime, end: datetime, args: Any
) -> None:
    """The digest on each store, the stores taking turns (each round times every store once, so a change
    of the machine's load falls on both alike); best of the rounds, and each round's ratio."""
    from bot.store.db import make_engine

    engines = {store: make_engine(url) for store, url in urls.items()}
    best = dict.fromkeys(urls, float("inf"))
    texts: dict[str, str] = {}
    ratios: list[float] = []
    try:
        for _ in range(args.repeat):
            took = {}
            for store, engine in engines.items():
                took[store], texts[store] = digest(engine, start, end)
                best[store] = min(best[store], took[store])
            if len(took) == 2:
                ratios.append(round(took["full"] / took["day"], 2))
            print(f"{side} round: {took}; load average {os.getloadavg()}", flush=True)
        for store in engines:
            figures = json.loads(texts[store])
            results[f"{side}/{store}"].update(
                digest_s=round(best[store], 3),
                annotations=figures["counts"]["annotations"],
                alpha=figures["headline"]["alpha"],
                alpha_previous=figures["headline"]["alpha_previous"],
            )
        if "full" in engines and not args.no_check:
            took_rows, text_rows = digest(engines["full"], start, end, from_rows=True)
            results[f"{side}/full"].update(
                row_path_s=round(took_rows, 2), same_as_row_path=text_rows == texts["full"]
            )
    finally:
        for engine in engines.values():
            engine.dispose()
    for store in engines:
        print(f"{side} {store}: {results[f'{side}/{store}']}; load average {os.getloadavg()}", flush=True)
    if ratios:
        full, day = results[f"{side}/full"], results[f"{side}/day"]
        print(
            f"{side}: 1-day digest {full['digest_s']} s over {args.days} days vs {day['digest_s']} s "
            f"over the day alone (best of {args.repeat}): {full['digest_s'] / day['digest_s']:.2f}x "
            f"(target <= 1.5x); round by round {ratios}; load average {os.getloadavg()}",
            flush=True,
        )


def main() -> None:
    """Command-line entry."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--days", type=int, default=60)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--sides", default="sqlite,postgresql")
    ap.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--dir", type=Path, default=Path("/tmp/annobot_bench_window"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-check", action="store_true", help="skip the row-path comparison (reads every row)")
    ap.add_argument("--keep", type=Path, help="keep the built stores here and reuse them (see the docstring)")
    ap.add_argument("--build-only", action="store_true", help="build (or check) the kept stores, no digest")
    ap.add_argument("--stores", default="full,day", help="which stores: full, day or both")
    args = ap.parse_args()
    if args.build_only and not args.keep:
        ap.error("--build-only needs --keep")
    if args.keep and args.keep.resolve().is_relative_to(args.dir.resolve()):
        ap.error("--keep must be outside --dir (deleted at the end)")
    t0 = time.perf_counter()
    data = generate(args.rows, args.days, args.seed)
    print(f"generated {args.rows:,} rows in {time.perf_counter() - t0:.1f} s; load average {os.getloadavg()}")
    last = args.days - 1
    start, end = T0 + timedelta(days=last), T0 + timedelta(days=args.days)
    args.dir.mkdir(parents=True, exist_ok=True)
    kept = Kept(args.keep, args.pg, args.rows, args.days, args.seed) if args.keep else None
    tag = uuid.uuid4().hex[:8]
    results: dict[str, Any] = {}
    wanted = args.stores.split(",")
    try:
        for side in args.sides.split(","):
            urls: dict[str, str] = {}
            for store, days in (("full", range(args.days)), ("day", range(last, args.days))):
                if store not in wanted:
                    continue
                reused = kept.present(side, store) if kept else None
                if reused is not None:
                    url, loaded = kept.url(side, store), {**reused, "reused": True}  # type: ignore[union-attr]
                    _upgrade(url)
                else:
                    if kept:
                        url = kept.fresh(side, store)
                    elif side == "sqlite":
                        url = f"sqlite:///{args.dir / f'{store}.db'}"
                    else:
                        url = _pg_db(args.pg, f"annobot_bench_window_{store}_{tag}", create=True)
                    loaded = load(url, data, days, args.dir / store)
                    if kept:
                        kept.record(side, store, loaded)
                urls[store] = url
                results[f"{side}/{store}"] = dict(loaded)
                print(f"{side} {store}: loaded {loaded}; load average {os.getloadavg()}", flush=True)
            if args.build_only:
                continue
            _time_side(side, urls, results, start, end, args)
            for url in urls.values():
                if kept:
                    continue  # kept for the next run
                if side == "sqlite":
                    Path(url.removeprefix("sqlite:///")).unlink()
                else:
                    _pg_db(args.pg, url.rsplit("/", 1)[1], create=False)
    finally:
        shutil.rmtree(args.dir, ignore_errors=True)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
