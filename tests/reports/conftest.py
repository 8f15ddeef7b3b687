"""Shared builders for the metrics tests: tiny annotation frames from readable tables."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import pytest

T0 = pd.Timestamp("2025-03-01", tz="UTC")


def frame_from_matrix(matrix: Sequence[Sequence[object]], task: str = "t") -> pd.DataFrame:
    """Annotators x items matrix (None/NaN = not labelled) to the long annotations frame."""
    rows = []
    for a, row in enumerate(matrix):
        for i, label in enumerate(row):
            if label is None or (isinstance(label, float) and np.isnan(label)):
                continue
            value = str(int(label)) if isinstance(label, float | np.floating) else str(label)
            rows.append(
                {
                    "project": "p",
                    "task": task,
                    "item": f"i{i:03d}",
                    "annotator": f"a{a}",
                    "label": value,
                    "created_at": T0 + pd.Timedelta(minutes=len(rows)),
                    "cohort": None,
                    "guideline_version": None,
                }
            )
    return pd.DataFrame(rows)


def counts_from_matrix(matrix: Sequence[Sequence[object]], values: Sequence[object]) -> np.ndarray:
    """Items x categories count table from an annotators x items matrix."""
    m = np.array(matrix, dtype=object)
    return np.array([[sum(1 for x in m[:, u] if x == v) for v in values] for u in range(m.shape[1])])


def expand_table(table: Sequence[Sequence[int]], labels: Sequence[str]) -> tuple[list[str], list[str]]:
    """Rater A and rater B label lists from a K x K contingency table (A rows, B columns)."""
    a: list[str] = []
    b: list[str] = []
    for i, row in enumerate(table):
        for j, n in enumerate(row):
            a += [labels[i]] * n
            b += [labels[j]] * n
    return a, b


@pytest.fixture
def from_matrix() -> Callable[..., pd.DataFrame]:
    """The frame_from_matrix builder."""
    return frame_from_matrix


@pytest.fixture
def counts_of() -> Callable[..., np.ndarray]:
    """The counts_from_matrix builder."""
    return counts_from_matrix


@pytest.fixture
def expand() -> Callable[..., tuple[list[str], list[str]]]:
    """The expand_table builder."""
    return expand_table
