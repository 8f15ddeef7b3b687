"""One task's part of the window, encoded once: what every per-task digest part reads."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from reports.digest.labels import TaskLabels
from reports.digest.model import Settings, TaskSpec
from reports.metrics import Encoded, encode
from reports.metrics.gold import gold_outcome
from reports.metrics.spans import has_spans


@dataclass(frozen=True, eq=False)  # arrays inside: identity, not elementwise, equality
class TaskSlice:
    """A task's annotations in the window with their one encoding, count table, gold outcome and days."""

    task: str
    spec: TaskSpec
    frame: pd.DataFrame  # the task's rows; index: positions in the window's frame
    gold: pd.DataFrame  # the task's gold rows
    enc: Encoded
    counts: np.ndarray  # units x labels
    outcome: np.ndarray  # per encoded row: 1 matches gold, 0 does not, -1 no gold for the item
    days: np.ndarray  # per encoded row: code into the window's day index
    labels: TaskLabels | None = None  # the guideline's scale, choices and retired labels behind `spec`
    spans: bool = False  # a span task (rows with offsets): span agreement instead of item-level figures
    settings: Settings = field(default_factory=Settings)  # min pairable items, ordinal kappa weights


def task_slices(
    df: pd.DataFrame,
    gold: pd.DataFrame,
    tasks: Mapping[str, TaskSpec],
    day_codes: np.ndarray,
    labels: Mapping[str, TaskLabels] | None = None,
    settings: Settings | None = None,
) -> Iterator[TaskSlice]:
    """The window's tasks in name order; `day_codes` gives each row of `df` its local day's code.

    With `labels` (reports.digest.labels.prepare_labels) each task is encoded with its effective spec.
    """
    for task, tdf in df.groupby("task", sort=True, observed=True):
        name = str(task)
        info = labels.get(name) if labels is not None else None
        spec = info.spec if info is not None else tasks[name]
        tgold = gold[gold["task"].astype(str) == name] if len(gold) else gold
        enc = encode(tdf, spec.labels)
        outcome = gold_outcome(enc, tgold) if len(tgold) else np.full(len(enc.unit), -1, dtype=np.int8)
        yield TaskSlice(
            task=name,
            spec=spec,
            frame=tdf,
            gold=tgold,
            enc=enc,
            counts=enc.counts(),
            outcome=outcome,
            days=day_codes[tdf.index.to_numpy()][enc.row],
            labels=info,
            spans=has_spans(tdf),
            settings=settings or Settings(),
        )
