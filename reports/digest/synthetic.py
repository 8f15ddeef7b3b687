"""Deterministic synthetic annotation data for tests, demos and bench/digest.py."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

START = date(2026, 10, 1)
COPRIME_STEPS = (1, 3, 7, 9, 11, 13, 17, 19, 21, 23)


def synthetic(
    n_items: int = 2000,
    ratings: int = 5,
    annotators: int = 10,
    labels: tuple[str, ...] = ("cat", "dog", "bird", "fish", "other"),
    gold_share: float = 0.1,
    days: int = 30,
    seed: int = 0,
    durations: bool = True,
    release_day: int | None = 15,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(annotations, gold): each item gets `ratings` distinct annotators; errors favour the next label."""
    rng = np.random.default_rng(seed)
    k = len(labels)
    names = np.array([f"ann-{j + 1:02d}" for j in range(annotators)], dtype=object)
    accuracy = rng.uniform(0.75, 0.95, annotators)
    truth = rng.choice(k, n_items, p=np.linspace(2, 1, k) / np.linspace(2, 1, k).sum())
    # Distinct annotators per item: start + i*step (mod m) with step coprime to m.
    steps = np.array([s for s in COPRIME_STEPS if np.gcd(s, annotators) == 1 and s < annotators] or [1])
    start = rng.integers(0, annotators, n_items)
    step = rng.choice(steps, n_items)
    ann = (start[:, None] + np.arange(ratings)[None, :] * step[:, None]) % annotators
    item = np.repeat(np.arange(n_items), ratings)
    ann = ann.ravel()
    t = truth[item]
    correct = rng.random(len(item)) < accuracy[ann]
    near = rng.random(len(item)) < 0.6
    wrong = np.where(near, (t + 1) % k, (t + rng.integers(1, k, len(item))) % k)
    label = np.where(correct, t, wrong)
    day = rng.integers(0, days, n_items)[item]
    created = pd.Timestamp(START, tz="UTC") + pd.to_timedelta(
        day * 86_400 + rng.integers(0, 86_400, len(item)), unit="s"
    )
    item_ids = np.char.add("it-", np.arange(n_items).astype(str)).astype(object)
    release = release_day if release_day is not None else days + 1
    df = pd.DataFrame(
        {
            "project": "demo",
            "task": "species",
            "item": item_ids[item],
            "annotator": names[ann],
            "label": np.array(labels, dtype=object)[label],
            "created_at": created,
            "cohort": np.array(["vendor-a", "vendor-b"], dtype=object)[ann % 2],
            "guideline_version": np.where(day < release, "1.0.0", "1.1.0").astype(object),
            "duration_s": rng.lognormal(2.5, 0.5, len(item)) if durations else np.nan,
        }
    )
    is_gold = rng.random(n_items) < gold_share
    gold = pd.DataFrame(
        {
            "task": "species",
            "item": item_ids[is_gold],
            "label": np.array(labels, dtype=object)[truth[is_gold]],
        }
    )
    return df, gold
