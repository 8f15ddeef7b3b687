"""Set-valued (multi-choice) labels: a category `x|y` is the set {x, y}; the MASI distance between sets."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

MULTI = "|"


def choice_sets(categories: Sequence[str]) -> list[frozenset[str]]:
    """Each category of a multi-choice task as its set of choices."""
    return [frozenset(c.split(MULTI)) for c in categories]


def masi_distances(categories: Sequence[str]) -> np.ndarray:
    """MASI distance (Passonneau 2006) between every pair of categories: 1 − Jaccard × monotonicity."""
    sets = choice_sets(categories)
    k = len(sets)
    out = np.zeros((k, k))
    for i in range(k):
        for j in range(k):
            a, b = sets[i], sets[j]
            inter, union = len(a & b), len(a | b)
            if a == b:
                m = 1.0
            elif inter == min(len(a), len(b)):
                m = 2 / 3
            elif inter:
                m = 1 / 3
            else:
                m = 0.0
            out[i, j] = 1.0 - inter / union * m
    return out
