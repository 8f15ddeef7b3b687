"""Deterministic synthetic annotation CSV: N rows over items x annotators x tasks.

Usage: .venv/bin/python bench/gen_annotations.py OUT.csv [--rows 1000000] [--seed 7] [--text]
The same arguments always give the same bytes (random.Random(seed), fixed base time). With --text
every row carries its item's display text (a `text` column, about 120 characters, the same on each
row of an item).
"""

from __future__ import annotations

import argparse
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

LABELS = ("Positive", "Negative", "Neutral")
HEADER = "item_id,annotator,label,task,created_at,duration_s,cohort\n"
TASKS = ("sentiment", "sarcasm", "topic")
BASE = datetime(2026, 1, 1, tzinfo=UTC)


def generate(path: Path, rows: int, seed: int = 7, text: bool = False) -> Path:
    """Write `rows` annotations: each (item, task) labeled by 5 of 40 annotators, 3 tasks."""
    rng = random.Random(seed)
    words = ("phone", "battery", "screen", "great", "awful", "delivery", "price", "support", "fast", "broke")
    annotators = [f"ann{a:03d}" for a in range(40)]
    cohorts = ("north", "south", "vendor-a", "vendor-b")
    written = 0
    item = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER.replace("\n", ",text\n") if text else HEADER)
        buf: list[str] = []
        while written < rows:
            shown = ("," + " ".join(rng.choice(words) for _ in range(18)) + "\n") if text else "\n"
            for task in TASKS:
                for ann in rng.sample(annotators, 5):
                    if written >= rows:
                        break
                    ts = (BASE + timedelta(seconds=item * 7 + rng.randrange(3600))).isoformat()
                    label = LABELS[rng.randrange(3)]
                    buf.append(
                        f"item{item:07d},{ann},{label},{task},{ts},{rng.randrange(2, 90)}.5,{cohorts[int(ann[3:]) % 4]}"
                        + shown
                    )
                    written += 1
            item += 1
            if len(buf) >= 50_000:
                out.write("".join(buf))
                buf = []
        out.write("".join(buf))
    return path


def main() -> None:
    """Command-line entry."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--text", action="store_true", help="add a text column (item display data)")
    args = ap.parse_args()
    generate(args.out, args.rows, args.seed, args.text)


if __name__ == "__main__":
    main()
