"""Ack latency of signed `/guide` requests to the HTTP app over loopback, 20,000-section corpus.

Usage: .venv/bin/python bench/http_lookup.py [--sections 20000] [--requests 500] [--workers N] [--pg URL]

Starts the WSGI app (waitress) on 127.0.0.1 in a child process with the corpus published into a temporary SQLite
file (or the given PostgreSQL database, which must be empty), a FakeSlack for the Web API and the
response_url, then sends signed slash commands from 1 and from 20 concurrent clients and reports
the HTTP response time (Slack's 3-second ack) p50/p99; answers arrive later via response_url and
are awaited before the next round. Loopback only; stops by itself.
"""

from __future__ import annotations

import argparse
import dataclasses
import multiprocessing
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from slack_sdk import WebClient
from sqlalchemy import func, select

from bench.corpus import query_mix, synthetic_documents
from bench.search import percentile
from bot.cli.run_cmd import run_workers
from bot.config import Config, SlackConfig
from bot.server import make_wsgi_app, serve_in_thread
from bot.slack.app import create_app
from bot.store.db import make_engine, session_scope, upgrade_to_head
from bot.store.guidelines import publish
from bot.store.models.guidelines import Section
from tests.support.fakeslack import FakeSlack
from tests.support.slackreq import SlackHttpClient

SECRET = "bench-secret"


def _round(url: str, fake: FakeSlack, queries: list[str], clients: int, tag: str) -> list[float]:
    """Send every query once from `clients` threads; return ack times in ms."""
    times: list[float] = []
    lock = threading.Lock()

    def one(i_q: tuple[int, str]) -> None:
        i, q = i_q
        client = SlackHttpClient(url, SECRET, timeout=10)
        t = time.perf_counter()
        status, _, _ = client.command("/guide", q, response_url=fake.response_url(f"{tag}-{i}"))
        elapsed = (time.perf_counter() - t) * 1000
        if status != 200:
            raise RuntimeError(f"HTTP {status} for {q!r}")
        with lock:
            times.append(elapsed)

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, enumerate(queries)))
    # The answers are posted after the acks: wait for all before the next round.
    before = len([r for r in fake.responses() if r.name and r.name.startswith(f"{tag}-")])
    deadline = time.monotonic() + 120
    while before < len(queries) and time.monotonic() < deadline:
        time.sleep(0.1)
        before = len([r for r in fake.responses() if r.name and r.name.startswith(f"{tag}-")])
    if before < len(queries):
        print(f"  warning: only {before}/{len(queries)} answers arrived")
    return times


def serve_app(url: str, fake_url: str, workers: int | None, ports: Any, stop: Any) -> None:
    """Child process: the HTTP app alone, as in production (Slack and the clients are elsewhere)."""
    engine = make_engine(url)
    slack = dataclasses.replace(
        SlackConfig(), api_url=fake_url, bot_token="xoxb-bench", signing_secret=SECRET, answer_workers=workers
    )
    config = Config(database_url=url, slack=slack)
    client = WebClient(token="xoxb-bench", base_url=fake_url)
    client.proxy = None  # loopback only, never through an environment proxy
    # Built, started and closed here, as `annobot run` does.
    answer_workers = run_workers(config, engine)
    app = create_app(config, client=client, engine=engine, workers=answer_workers)
    answer_workers.start()
    server, port = serve_in_thread(make_wsgi_app(app, engine))
    ports.put(port)
    stop.wait()
    server.stop()
    answer_workers.close()
    engine.dispose()


def load(url: str, sections: int) -> None:
    """Publish the synthetic corpus unless the database already holds it."""
    engine = make_engine(url)
    upgrade_to_head(engine)
    with session_scope(engine) as s:
        if s.scalar(select(func.count()).select_from(Section)):
            print(f"{engine.dialect.name}: corpus already loaded")
            engine.dispose()
            return
    t0 = time.perf_counter()
    with session_scope(engine) as s:
        for doc in synthetic_documents(sections):
            publish(s, doc)
    print(f"{engine.dialect.name}: {sections} sections loaded in {time.perf_counter() - t0:.1f} s")
    engine.dispose()


def run(url: str, sections: int, requests: int, workers: int | None) -> None:
    """Load the corpus into `url`, start the app in a child process and measure both rounds."""
    load(url, sections)
    ctx = multiprocessing.get_context("spawn")
    with FakeSlack() as fake:
        ports, stop = ctx.Queue(), ctx.Event()
        child = ctx.Process(target=serve_app, args=(url, fake.url, workers, ports, stop))
        child.start()
        try:
            port = ports.get(timeout=60)
            events = f"http://127.0.0.1:{port}/slack/events"
            _round(events, fake, query_mix(20, seed=1), 1, "warm")
            for clients in (1, 20):
                t = time.perf_counter()
                times = _round(events, fake, query_mix(requests, seed=clients), clients, f"c{clients}")
                wall = time.perf_counter() - t
                print(
                    f"  {clients:>2} client(s): {len(times)} requests  ack p50 {percentile(times, 50):.1f} ms"
                    f"  p99 {percentile(times, 99):.1f} ms  max {max(times):.1f} ms"
                    f"  (all {len(times)} answered in {wall:.1f} s)"
                )
        finally:
            stop.set()
            child.join(timeout=30)
            if child.is_alive():  # never leave the app running
                child.terminate()


def main() -> None:
    """Run on SQLite, and on PostgreSQL when --pg is given."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sections", type=int, default=20_000)
    ap.add_argument("--requests", type=int, default=500, help="requests per round (1 and 20 clients)")
    ap.add_argument("--sqlite", default=None, help="keep the SQLite corpus in this file (reused if loaded)")
    ap.add_argument("--pg", default=None, help="an empty PostgreSQL database URL (optional)")
    ap.add_argument(
        "--workers", type=int, default=None, help="answer worker processes (default: as `annobot run`, auto)"
    )
    args = ap.parse_args()
    print(f"answer workers: {'auto' if args.workers is None else args.workers}")
    if args.sqlite:
        run(f"sqlite:///{Path(args.sqlite).resolve()}", args.sections, args.requests, args.workers)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            run(f"sqlite:///{tmp}/bench.db", args.sections, args.requests, args.workers)
    if args.pg:
        run(args.pg, args.sections, args.requests, args.workers)


if __name__ == "__main__":
    main()
