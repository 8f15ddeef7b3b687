"""The hourly aggregates of a load into an empty project, tallied from the rows as they stream in.

A direct load (bot.store.annotations `_direct`) writes every row of the project, so the aggregates are
those of exactly the rows loaded (and the project's gold): `LoadTally.watch` passes the rows on to the
loader and keeps, per batch, each item-level rating as four small integers (item, annotator, label,
UTC hour), about 16 bytes a rating instead of reading the rows back. `tables` computes the aggregates
from those codes at the end (reports.digest.hours.code_tables), a group of items at a time so the
arrays of the computation stay bounded. One tally belongs to one load; nothing is shared between loads.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from itertools import islice
from operator import itemgetter
from typing import Any

import numpy as np
import pandas as pd

from bot.store.bulk import BATCH
from reports.digest.hours import Codes, code_tables, empty_annotators, empty_pairs, sum_tables

_EPOCH_DAY = date(1970, 1, 1).toordinal()
_UNIT = 1 << 32  # a unit's key: task code * _UNIT + item code
# The fields of an AnnotationRow the aggregates read.
_TASK, _ITEM, _ANNOTATOR, _LABEL, _SPAN_KEY = (itemgetter(j) for j in (0, 1, 2, 3, 7))
GROUP_ROWS = 100_000  # ratings per computation at the end (code_tables peaks at ~500 bytes a rating)


def epoch_hour(created_at: str) -> int:
    """The UTC hour (floor of hours since the epoch) of a row's 'YYYY-MM-DD HH:…' text."""
    day = date(int(created_at[:4]), int(created_at[5:7]), int(created_at[8:10])).toordinal()
    return (day - _EPOCH_DAY) * 24 + int(created_at[11:13])


def _codes(values: list[Any] | np.ndarray, known: dict[Any, int]) -> np.ndarray:
    """Codes of `values` in `known` (new values get the next codes): one hash pass, a Python step per distinct."""
    array = values if isinstance(values, np.ndarray) else np.asarray(values, dtype=object)
    local, uniques = pd.factorize(array)
    mapped = np.fromiter(
        (known.setdefault(u, len(known)) for u in uniques.tolist()), dtype=np.int64, count=len(uniques)
    )
    return mapped[local]


class LoadTally:
    """The item-level ratings of one load, as integer codes; the rows themselves are not kept."""

    def __init__(self) -> None:
        self._tasks: dict[str, int] = {}
        self._items: dict[str, int] = {}
        self._units: dict[int, int] = {}  # task * _UNIT + item -> unit, in order of first rating
        self._annotators: dict[str, int] = {}
        self._labels: dict[str, int] = {}
        self._hours: dict[str, int] = {}  # 'YYYY-MM-DD HH' -> epoch hour
        self._chunks: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []

    def watch(self, rows: Iterable[Any]) -> Iterator[Any]:
        """`rows` as they are (AnnotationRows or tuples in that order), tallied a batch at a time."""
        it = iter(rows)
        while batch := list(islice(it, BATCH)):
            self._add(batch)
            yield from batch

    def _add(self, batch: list[Any]) -> None:
        # A column at a time (map over itemgetter): transposing the whole batch costs twice all the rest.
        if list(map(_SPAN_KEY, batch)).count("") != len(batch):
            batch = [r for r in batch if r[7] == ""]  # span rows have no place in the aggregates
            if not batch:
                return
        task = _codes(list(map(_TASK, batch)), self._tasks)
        item = _codes(list(map(_ITEM, batch)), self._items)
        unit = _codes(task * _UNIT + item, self._units)
        local, uniques = pd.factorize(np.asarray([r[8][:13] for r in batch], dtype=object))
        hours = self._hours
        known = [hours[p] if p in hours else hours.setdefault(p, epoch_hour(p)) for p in uniques.tolist()]
        self._chunks.append(
            (
                unit.astype(np.int32),
                _codes(list(map(_ANNOTATOR, batch)), self._annotators).astype(np.int32),
                _codes(list(map(_LABEL, batch)), self._labels).astype(np.int32),
                np.asarray(known, dtype=np.int32)[local],
            )
        )

    def tables(self, gold: Iterable[tuple[str, str, str]]) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The aggregates of the ratings tallied, with `gold` (task, item, label): those of from_rows."""
        if not self._chunks:
            return empty_annotators(), empty_pairs()
        unit, annotator, label, hour = (np.concatenate(c) for c in zip(*self._chunks, strict=True))
        self._chunks = []
        labels = dict(self._labels)  # gold answers no rating has get codes of their own
        n_units = len(self._units)
        gold_of_unit = np.full(n_units, -1, dtype=np.int64)
        for task, item, answer in gold:
            t, i = self._tasks.get(task), self._items.get(item)
            u = None if t is None or i is None else self._units.get(t * _UNIT + i)
            if u is not None:
                gold_of_unit[u] = labels.setdefault(answer, len(labels))
        task_of_unit = np.fromiter(self._units, dtype=np.int64, count=n_units) // _UNIT
        names = (list(self._tasks), list(self._annotators), list(labels))
        groups = -(-len(unit) // GROUP_ROWS)
        span = -(-n_units // groups)
        parts = []
        for g in range(groups):
            # Units in order of first rating: a range of them is a group of whole items.
            mine = np.flatnonzero((unit >= g * span) & (unit < (g + 1) * span)) if groups > 1 else slice(None)
            u = unit[mine].astype(np.int64)
            parts.append(
                code_tables(
                    Codes(
                        task_of_unit[u], names[0], u, annotator[mine], names[1], label[mine], names[2],
                        hour[mine], gold_of_unit[u],
                    )
                )
            )  # fmt: skip
        return parts[0] if groups == 1 else sum_tables(parts)
