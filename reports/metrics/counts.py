"""Annotations as integer codes and the item x category count table every coefficient derives from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

REQUIRED = ("item", "annotator", "label")


@dataclass(frozen=True, eq=False)  # arrays inside: identity, not elementwise, equality
class Encoded:
    """Annotations as integer codes, one row per (unit, annotator) with the latest label kept."""

    units: pd.Index  # (task, item) MultiIndex when a task column exists, else the item ids
    annotators: pd.Index
    labels: tuple[str, ...]
    unit: np.ndarray  # per kept row: position in `units`
    annotator: np.ndarray  # per kept row: position in `annotators`
    label: np.ndarray  # per kept row: position in `labels`
    row: np.ndarray  # per kept row: position in the input frame, to join results back
    unit_key: pd.Index  # per unit: task code * len(items) + item code, for fast lookups
    tasks: pd.Index | None
    items: pd.Index

    def counts(self, mask: np.ndarray | None = None) -> np.ndarray:
        """The units x categories count table (int64), optionally from a subset of rows."""
        k = len(self.labels)
        unit, label = (self.unit, self.label) if mask is None else (self.unit[mask], self.label[mask])
        flat = np.bincount(unit * k + label, minlength=len(self.units) * k)
        return flat.reshape(len(self.units), k)

    def unit_codes(self, frame: pd.DataFrame) -> np.ndarray:
        """Position in `units` of each row of another frame (e.g. gold), -1 where the unit is not here."""
        items = self.items.get_indexer(frame["item"])
        if self.tasks is None:
            key = items.astype(np.int64)
        else:
            if "task" not in frame.columns:
                raise ValueError("the annotations have a task column, so the other frame needs one too")
            tasks = self.tasks.get_indexer(frame["task"])
            key = np.where((items < 0) | (tasks < 0), -1, tasks.astype(np.int64) * len(self.items) + items)
        out = self.unit_key.get_indexer(key)
        out[key < 0] = -1
        return out


def local_days(created_at: pd.Series, tz: str) -> pd.Series:
    """Calendar day (naive midnight) of each timestamp in `tz`; naive timestamps are taken as UTC."""
    # Normalising datetimes is much faster than .dt.date; callers convert only aggregated results to dates.
    return pd.to_datetime(created_at, utc=True).dt.tz_convert(tz).dt.tz_localize(None).dt.normalize()


def local_date(moment: datetime, tz: str) -> date:
    """The calendar day of one instant in `tz`; a naive datetime is taken as UTC (as the store gives it)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(ZoneInfo(tz)).date()


def check_labels(labels: Sequence[str]) -> tuple[str, ...]:
    """The label list as a tuple; duplicates are an error since positions define ordinal weights."""
    out = tuple(str(x) for x in labels)
    if len(set(out)) != len(out):
        dupes = sorted({x for x in out if out.count(x) > 1})
        raise ValueError(f"the label list repeats {dupes}: each label must appear once")
    return out


def interval_values(labels: Sequence[str]) -> np.ndarray:
    """The labels parsed as numbers, for the interval scale."""
    try:
        return np.array([float(x) for x in labels], dtype=float)
    except ValueError as err:
        raise ValueError(
            f"interval scale needs numeric labels, got {list(labels)!r}: use 'ordinal' for ranked text labels"
        ) from err


def _label_codes(values: pd.Series, labels: tuple[str, ...]) -> np.ndarray:
    """Positions of each label in the list; missing or unknown labels are an error."""
    codes = pd.Categorical(values, categories=list(labels)).codes
    unknown = codes < 0
    if unknown.any():
        missing = values[unknown].isna()
        if missing.any():
            n_missing = int(missing.sum())
            raise ValueError(f"{n_missing} annotations have no label: drop skipped/cancelled ones first")
        bad = sorted(pd.unique(values[unknown].astype(str)))
        shown = ", ".join(repr(b) for b in bad[:5]) + (" ..." if len(bad) > 5 else "")
        raise ValueError(f"labels not in the guideline's label list {list(labels)!r}: {shown}")
    return codes.astype(np.int64)


def _unit_codes(df: pd.DataFrame) -> tuple[np.ndarray, pd.Index, pd.Index, pd.Index | None, pd.Index]:
    """Codes for (task, item) units, so equal item ids in different tasks never merge."""
    # Order of first appearance: sorting 10^5 string ids costs more than the whole count table.
    item_codes, items = pd.factorize(df["item"])
    items = pd.Index(items, name="item")
    if "task" not in df.columns:
        codes = item_codes.astype(np.int64)
        return codes, items, pd.Index(np.arange(len(items), dtype=np.int64)), None, items
    task_codes, tasks = pd.factorize(df["task"])
    tasks = pd.Index(tasks, name="task")
    combined = task_codes.astype(np.int64) * len(items) + item_codes
    codes, keys = pd.factorize(combined)
    # Levels come from factorize, so they are unique; skipping the integrity check saves a hash pass.
    units = pd.MultiIndex(
        levels=[tasks, items],
        codes=[keys // len(items), keys % len(items)],
        names=["task", "item"],
        verify_integrity=False,
    )
    return codes.astype(np.int64), units, pd.Index(keys), tasks, items


def _latest_rows(df: pd.DataFrame, key: np.ndarray) -> np.ndarray:
    """Rows keeping the latest annotation per (unit, annotator): a resubmission must not agree with itself."""
    ordered = np.sort(key)
    # Sorting integers is several times faster than hashing them (pandas' duplicated) on 10^6 rows.
    if not (ordered[1:] == ordered[:-1]).any():
        return np.arange(len(key))
    if "created_at" in df.columns:
        order = np.argsort(df["created_at"].to_numpy(), kind="stable")
    else:
        order = np.arange(len(key))
    dup = pd.Series(key[order]).duplicated(keep="last").to_numpy()
    return np.sort(order[~dup])


def encode(df: pd.DataFrame, labels: Sequence[str] | None = None) -> Encoded:
    """Encode an annotations frame; labels default to the sorted observed ones (fine for nominal use only)."""
    absent = [c for c in REQUIRED if c not in df.columns]
    if absent:
        raise ValueError(f"annotations frame lacks columns {absent}")
    if labels is None:
        # Unique first, then text: a categorical column is not expanded to 10^6 strings.
        labels = sorted({str(x) for x in pd.unique(df["label"].dropna())})
    labs = check_labels(labels)
    label = _label_codes(df["label"], labs)
    unit, units, unit_key, tasks, items = _unit_codes(df)
    annotator, annotators = pd.factorize(df["annotator"], sort=True)
    annotator = annotator.astype(np.int64)
    rows = _latest_rows(df, unit * max(len(annotators), 1) + annotator)
    if len(rows) < len(df):
        # Units that only had duplicates keep their codes; no unit disappears by dropping older rows.
        unit, annotator, label = unit[rows], annotator[rows], label[rows]
    return Encoded(
        units=units,
        annotators=pd.Index(annotators, name="annotator"),
        labels=labs,
        unit=unit,
        annotator=annotator,
        label=label,
        row=rows,
        unit_key=unit_key,
        tasks=tasks,
        items=items,
    )


def as_encoded(data: pd.DataFrame | Encoded, labels: Sequence[str] | None = None) -> Encoded:
    """Encode a frame, or pass through an Encoded (shared across metrics) after checking its label list."""
    if isinstance(data, Encoded):
        if labels is not None and tuple(str(x) for x in labels) != data.labels:
            raise ValueError(f"encoded with labels {list(data.labels)!r}, but {list(labels)!r} were given")
        return data
    return encode(data, labels)


def count_table(df: pd.DataFrame, labels: Sequence[str]) -> tuple[pd.Index, np.ndarray]:
    """Units and their units x categories count table over the full label list (unused labels: 0 columns)."""
    enc = encode(df, labels)
    return enc.units, enc.counts()
