"""Small digest datasets shared by the digest tests."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from reports.digest import TaskSpec
from reports.digest.synthetic import synthetic

SPECIES = ("cat", "dog", "bird", "fish", "other")
GENERATED = datetime(2026, 11, 20, 7, 30, tzinfo=UTC)  # the generation time reports print
GRADES = ("1", "2", "3", "4")


def two_tasks(seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A nominal task from `synthetic` plus an ordinal task with missing ratings (3 of 4 raters per item)."""
    df, gold = synthetic(n_items=300, annotators=6, seed=seed, days=10)
    rng = np.random.default_rng(seed)
    n = 120
    truth = rng.integers(0, 4, n)
    rows = []
    for i in range(n):
        for a in rng.choice(4, 3, replace=False):
            noise = rng.choice([-1, 0, 0, 0, 1])
            rows.append(
                {
                    "project": "demo",
                    "task": "grade",
                    "item": f"it-{i}",  # same ids as the species task: units must not merge across tasks
                    "annotator": f"ann-{a + 1:02d}",
                    "label": GRADES[int(np.clip(truth[i] + noise, 0, 3))],
                    "created_at": pd.Timestamp("2026-10-02", tz="UTC") + pd.Timedelta(minutes=i),
                    "cohort": None,
                    "guideline_version": "1.0.0",
                    "duration_s": np.nan,
                }
            )
    grade = pd.DataFrame(rows)
    return pd.concat([df, grade], ignore_index=True), gold


@pytest.fixture
def specs() -> dict[str, TaskSpec]:
    """Specs for both tasks; species labels map to guideline sections."""
    return {
        "species": TaskSpec(
            SPECIES, "nominal", "species-guide", "1.1.0", {"cat": ("cats", "Cats"), "dog": ("dogs", "Dogs")}
        ),
        "grade": TaskSpec(GRADES, "ordinal", "grade-guide", "2.0.0"),
    }


@pytest.fixture
def data() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The two-task dataset."""
    return two_tasks()
