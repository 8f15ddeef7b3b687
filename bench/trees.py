"""Decision trees: ack latency of tree steps over HTTP with 20 concurrent walkers, and `trees check` of 500 nodes.

Usage: .venv/bin/python bench/trees.py [--walkers 20] [--steps 60] [--seed 1] [--pg URL] [--check-runs 5]

Steps (issue 11 item 8):
1. Publishes every example guideline (both versions, 5 trees per version) into a temporary SQLite file, and
   into a fresh database created on the PostgreSQL server of --pg (dropped afterwards), then starts the WSGI
   app in a child process as `annobot run` does, with a FakeSlack for the Web API and the response_urls.
2. Each walker (a thread with its own user id) starts a walk with a signed `/guide tree SLUG/TREE`, waits for
   the walk message at its response_url, clicks one of the option buttons found in it (seeded random choice)
   and so on to a leaf; at its first leaf it clicks Back, at its second Start over, at its third it starts a
   new walk on another tree. Every click is a signed block_actions request with the value taken from the
   message, as Slack would send it. Reported: the HTTP response time of each click (the ack Slack waits 3 s
   for; target p99 <= 100 ms) and the time until the next walk message reached the response_url.
3. `annobot trees check` of a guideline version holding a valid 500-node tree (seeded, realistic text,
   branching 2-4, depth <= 25), as a subprocess (start-up included; target < 1 s), and load_guideline alone.
Loopback only; bounded by --steps per walker; stops by itself.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from bench.http_lookup import SECRET, serve_app  # noqa: E402
from bench.search import percentile  # noqa: E402
from bot.slack.blocks.tree_link import TREE_SHARE  # noqa: E402
from bot.store.db import make_engine, session_scope, upgrade_to_head  # noqa: E402
from bot.store.guidelines import publish  # noqa: E402
from guidelines.parse import load_guideline  # noqa: E402
from tests.support.fakeslack import FakeSlack  # noqa: E402
from tests.support.slackreq import SlackHttpClient  # noqa: E402

EXAMPLES = ROOT / "examples" / "guidelines"
ANSWER_TIMEOUT = 30.0


@dataclass
class Timings:
    """What the walkers measured (ms), by kind of click."""

    acks: dict[str, list[float]] = field(default_factory=dict)
    answers: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, ack_ms: float, answer_ms: float | None) -> None:
        """Record one click."""
        with self.lock:
            self.acks.setdefault(kind, []).append(ack_ms)
            if answer_ms is not None:
                self.answers.append(answer_ms)


def example_trees() -> list[str]:
    """SLUG/TREE of every tree of the examples' newest versions."""
    out = []
    for guideline in sorted(p for p in EXAMPLES.iterdir() if p.is_dir()):
        newest = sorted(guideline.glob("v*"))[-1]
        doc = load_guideline(newest)
        out += [f"{doc.meta.slug}/{t.id}" for t in doc.trees]
    return out


def load_examples(url: str) -> None:
    """Migrate and publish every example version, oldest first."""
    engine = make_engine(url)
    upgrade_to_head(engine)
    for guideline in sorted(p for p in EXAMPLES.iterdir() if p.is_dir()):
        for version in sorted(guideline.glob("v*")):
            with session_scope(engine) as s:
                publish(s, load_guideline(version))
    engine.dispose()


def _buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        e for b in blocks if b.get("type") == "actions" for e in b["elements"] if e.get("type") == "button"
    ]


class Walker:
    """One annotator walking trees over HTTP; every click's ack and answer time goes to `timings`."""

    def __init__(self, index: int, url: str, fake: FakeSlack, trees: list[str], seed: int, timings: Timings):
        self.user = f"UW{index:03d}"
        self.client = SlackHttpClient(url, SECRET, timeout=10)
        self.fake = fake
        self.trees = trees
        self.rng = random.Random(seed * 1000 + index)
        self.timings = timings
        self.index = index
        self.walks = 0

    def _send(self, kind: str, name: str, seen: int, send: Any) -> list[dict[str, Any]]:
        """Send one request, time its ack and the walk message that follows at response_url `name`."""
        start = time.monotonic()
        status, _, _ = send()
        ack_ms = (time.monotonic() - start) * 1000
        if status != 200:
            raise RuntimeError(f"{self.user}: HTTP {status} for {kind}")
        reply = self.fake.wait_for_response(name, count=seen + 1, timeout=ANSWER_TIMEOUT)[-1]
        self.timings.add(kind, ack_ms, (reply.time - start) * 1000)
        return reply.param_json("blocks")

    def run(self, steps: int) -> None:
        """Click until `steps` tree-step clicks are done (walk starts are timed but not counted)."""
        done = 0
        while done < steps:
            self.walks += 1
            name = f"{self.user}-{self.walks}"
            tree = self.rng.choice(self.trees)
            blocks = self._send(
                "start (/guide tree)",
                name,
                0,
                lambda tree=tree, name=name: self.client.command(
                    "/guide",
                    f"tree {tree}",
                    user_id=self.user,
                    response_url=self.fake.response_url(name),
                    trigger_id=uuid.uuid4().hex,
                ),
            )
            seen, leaves = 1, 0
            while done < steps:
                buttons = {b["action_id"]: b for b in _buttons(blocks)}
                if TREE_SHARE in buttons:
                    leaves += 1
                    if leaves == 3:
                        break
                    chosen = buttons["tree_back" if leaves == 1 else "tree_restart"]
                else:
                    options = sorted(a for a in buttons if a.startswith("tree_choose_"))
                    if not options:
                        raise RuntimeError(f"{self.user}: a walk message without options: {blocks}")
                    chosen = buttons[self.rng.choice(options)]
                kind = chosen["action_id"].rstrip("0123456789").rstrip("_")
                blocks = self._send(
                    {"tree_choose": "option", "tree_back": "Back", "tree_restart": "Start over"}[kind],
                    name,
                    seen,
                    lambda b=chosen, name=name: self.client.action(
                        b["action_id"],
                        b["value"],
                        user_id=self.user,
                        response_url=self.fake.response_url(name),
                        trigger_id=uuid.uuid4().hex,
                    ),
                )
                seen += 1
                done += 1


def walk_round(url: str, walkers: int, steps: int, seed: int) -> None:
    """Load the examples into `url`, serve the app in a child process, and run the walkers."""
    load_examples(url)
    trees = example_trees()
    ctx = multiprocessing.get_context("spawn")
    with FakeSlack() as fake:
        ports, stop = ctx.Queue(), ctx.Event()
        child = ctx.Process(target=serve_app, args=(url, fake.url, None, ports, stop))
        child.start()
        try:
            events = f"http://127.0.0.1:{ports.get(timeout=60)}/slack/events"
            Walker(999, events, fake, trees, seed, Timings()).run(10)  # warm-up, not counted
            timings = Timings()
            crowd = [Walker(i, events, fake, trees, seed, timings) for i in range(walkers)]
            t = time.perf_counter()
            with ThreadPoolExecutor(walkers) as pool:
                list(pool.map(lambda w: w.run(steps), crowd))
            wall = time.perf_counter() - t
        finally:
            stop.set()
            child.join(timeout=30)
            if child.is_alive():  # never leave the app running
                child.terminate()
    clicks = [ms for kind, values in timings.acks.items() if not kind.startswith("start") for ms in values]
    print(
        f"  {walkers} walkers, {sum(w.walks for w in crowd)} walks, {len(clicks)} tree-step clicks in {wall:.1f} s"
        f" ({len(clicks) / wall:.0f}/s)"
    )
    print(
        f"  tree-step ack: p50 {percentile(clicks, 50):.1f} ms  p99 {percentile(clicks, 99):.1f} ms"
        f"  max {max(clicks):.1f} ms"
    )
    for kind, values in sorted(timings.acks.items()):
        print(
            f"    {kind:<20} n={len(values):>5}  p50 {percentile(values, 50):6.1f} ms"
            f"  p99 {percentile(values, 99):6.1f} ms"
        )
    answers = timings.answers
    print(
        f"  click to next walk message at response_url: p50 {percentile(answers, 50):.1f} ms"
        f"  p99 {percentile(answers, 99):.1f} ms  max {max(answers):.1f} ms"
    )


def big_tree(nodes: int, seed: int, labels: list[str], anchors: list[str]) -> str:
    """A valid tree of exactly `nodes` nodes: questions of 2-4 options, depth <= 25, realistic text."""
    rng = random.Random(seed)
    words = (
        "does the review state a fact that contradicts the praise or is the enthusiasm about a failure "
        "and would a careful reader take the wording literally given the rating and the product"
    ).split()

    def sentence(n: int) -> str:
        return " ".join(rng.choice(words) for _ in range(n)).capitalize()

    # Grow breadth-first: a question turns `k` open slots into children until the budget is used.
    questions: dict[str, list[str]] = {}
    depth = {"q0": 0}
    frontier = ["q0"]
    count = 1
    leaves: list[str] = []
    while frontier:
        node = frontier.pop(0)
        left = nodes - count
        k = min(rng.randint(2, 4), left)
        if left - k == 1:  # one node left over could never be placed: take it now or leave room for two
            k = k + 1 if k < 4 else k - 1
        if depth[node] >= 24 or k < 2:
            leaves.append(node)
            continue
        children = [f"n{count + j}" for j in range(k)]
        count += k
        questions[node] = children
        for c in children:
            depth[c] = depth[node] + 1
        frontier += children
    assert count == nodes, (count, nodes)
    out = ["id: big", "title: A big tree", "description: Generated by bench/trees.py.", "start: q0", "nodes:"]
    for node, children in questions.items():
        out += [
            f"  {node}:",
            f"    text: {sentence(18)}?",
            f"    help: {sentence(30)}.",
            f"    anchors: [{rng.choice(anchors)}]",
            "    options:",
        ]
        out += [f"      - {{text: {sentence(5)}, next: {c}}}" for c in children]
    for node in leaves:
        out += [
            f"  {node}:",
            f"    label: {rng.choice(labels)}",
            f"    rationale: {sentence(25)}.",
            f"    anchor: {rng.choice(anchors)}",
        ]
    return "\n".join(out) + "\n"


def check_round(runs: int, seed: int) -> None:
    """Time `annobot trees check` on a copy of product-sentiment 1.1.0 with a 500-node tree added."""
    source = EXAMPLES / "product-sentiment" / "v1.1.0"
    doc = load_guideline(source)
    anchors = sorted({s.anchor for s in doc.sections})
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "v1.1.0"
        shutil.copytree(source, folder)
        (folder / "trees" / "big.yaml").write_text(big_tree(500, seed, list(doc.meta.labels), anchors))
        loaded = load_guideline(folder)
        big = next(t for t in loaded.trees if t.id == "big")
        print(f"  tree: {len(big.nodes)} nodes, {(folder / 'trees' / 'big.yaml').stat().st_size} bytes")
        annobot = Path(sys.executable).with_name("annobot")

        def check(target: Path) -> list[float]:
            walls = []
            for _ in range(runs):
                t = time.perf_counter()
                done = subprocess.run(
                    [str(annobot), "trees", "check", str(target)], capture_output=True, text=True
                )
                walls.append((time.perf_counter() - t) * 1000)
                if done.returncode != 0:
                    raise RuntimeError(f"trees check failed: {done.stdout}{done.stderr}")
            return walls

        baseline = check(source)  # the same version without the big tree: start-up and the two small trees
        walls = check(folder)
        loads = []
        for _ in range(runs):
            t = time.perf_counter()
            load_guideline(folder)
            loads.append((time.perf_counter() - t) * 1000)
    print(
        f"  annobot trees check (subprocess, start-up included), {runs} runs: median {statistics.median(walls):.0f} ms"
        f"  max {max(walls):.0f} ms"
    )
    print(
        f"  the same without the big tree (start-up and 2 small trees): median {statistics.median(baseline):.0f} ms"
    )
    print(
        f"  load_guideline of the version (4 files, 3 trees), in process: median {statistics.median(loads):.0f} ms"
    )


def main() -> None:
    """SQLite always, PostgreSQL when --pg is given, then the check."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--walkers", type=int, default=20)
    ap.add_argument("--steps", type=int, default=60, help="tree-step clicks per walker")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--pg", default=None, help="a PostgreSQL server URL; a fresh database is made on it and dropped"
    )
    ap.add_argument("--check-runs", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print("sqlite:")
        walk_round(f"sqlite:///{tmp}/trees.db", args.walkers, args.steps, args.seed)
    if args.pg:
        admin = create_engine(args.pg, isolation_level="AUTOCOMMIT")
        name = f"annobot_bench_trees_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            print("postgresql:")
            walk_round(args.pg.rsplit("/", 1)[0] + "/" + name, args.walkers, args.steps, args.seed)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    print("trees check:")
    check_round(args.check_runs, args.seed)


if __name__ == "__main__":
    main()
