"""Hourly aggregates of annotations: what the drift chart and the previous window's alpha read.

Each item-level rating contributes to two tables, keyed by the UTC hour (epoch hours) it was made in:

- per (task, annotator, hour): ratings `n`; gold items `gold_n` and errors `gold_err` (the stored label
  against the stored gold answer); consensus `loo_n` / `loo_err`: the rating against the majority of the
  *other annotators' labels of the item, all of them* (whenever given), ties and items without others
  skipped;
- per (task, hour, label, other, m): Krippendorff's coincidence contributions of the ratings made in that
  hour, each paired with every other label of its item: `s` = sum over ratings with `label` of items
  with m labels of (n_item(other) - [other == label]); o(label, other) = sum_m s / (m - 1).

Both are sums over ratings of a value that depends only on the rating and on its item's labels, so any
set of hours adds up exactly; the store keeps them (bot/store/aggregates.py) and the digest reads them
instead of the rows before its window (docs/digest.md, "Figures before the window").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from reports.metrics.agreement import _scale_values, alpha_from_coincidence
from reports.metrics.result import as_float

HOUR_NS = 3_600_000_000_000
HOUR = timedelta(hours=1)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ANNOTATOR_COLUMNS = ("task", "annotator", "hour", "n", "gold_n", "gold_err", "loo_n", "loo_err")
PAIR_COLUMNS = ("task", "hour", "label", "other", "m", "s")
COUNTS = ("n", "gold_n", "gold_err", "loo_n", "loo_err")


@dataclass(frozen=True, eq=False)
class Aggregates:
    """The hourly tables a digest reads beyond its window: drift hours and the previous window's pairs."""

    drift: pd.DataFrame  # ANNOTATOR_COLUMNS over the drift range (baseline and window)
    previous: pd.DataFrame | None  # PAIR_COLUMNS over the previous window (None: no previous window)


def _utc(moment: datetime | pd.Timestamp) -> datetime:
    moment = moment.to_pydatetime() if isinstance(moment, pd.Timestamp) else moment
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def epoch_hour(moment: datetime | pd.Timestamp) -> int:
    """The UTC hour (hours since the epoch) an instant falls in (a naive instant is UTC)."""
    return (_utc(moment) - EPOCH) // HOUR


def hours_within(start: datetime | None, end: datetime | None) -> tuple[int | None, int | None]:
    """[first, stop) of the whole UTC hours inside [start, end) (None: open)."""
    first = None if start is None else -((EPOCH - _utc(start)) // HOUR)
    stop = None if end is None else epoch_hour(end)
    return first, stop


def empty_annotators() -> pd.DataFrame:
    """An annotator-hour table without rows."""
    cols = {c: pd.Series(dtype=object if c in ("task", "annotator") else np.int64) for c in ANNOTATOR_COLUMNS}
    return pd.DataFrame(cols)


def empty_pairs() -> pd.DataFrame:
    """A label-pair-hour table without rows."""
    cols = {c: pd.Series(dtype=object if c in ("task", "label", "other") else np.int64) for c in PAIR_COLUMNS}
    return pd.DataFrame(cols)


def canonical(table: pd.DataFrame, kind: str) -> pd.DataFrame:
    """A table in one form whatever made it: plain text and int64 columns, sorted by key, no zero rows."""
    cols = ANNOTATOR_COLUMNS if kind == "annotators" else PAIR_COLUMNS
    keys = [c for c in cols if c not in (*COUNTS, "s")]
    values = list(COUNTS) if kind == "annotators" else ["s"]
    out = pd.DataFrame(
        {c: table[c].astype(str).to_numpy(dtype=object) for c in keys if c not in ("hour", "m")}
    )
    for c in ("hour", "m"):
        if c in keys:
            out[c] = table[c].to_numpy(dtype=np.int64)
    for c in values:
        out[c] = table[c].to_numpy(dtype=np.int64)
    out = out[list(cols)]
    live = (out[values].to_numpy() != 0).any(axis=1)  # a delta may change gold counts alone
    return out[live].sort_values(keys, kind="stable").reset_index(drop=True)


def hour_tables(rows: pd.DataFrame, gold: pd.DataFrame | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(annotator-hour table, label-pair-hour table) of the item-level ratings in `rows`.

    `rows`: task, item, annotator, label, and `hour` (epoch hours) or `created_at`; rows with span offsets
    are left out. Each item's labels are the ones in `rows` (the latest per annotator): pass every rating
    of each item the tables should describe. `gold`: task, item, label (stored text, compared as is).
    """
    df = rows
    if "span_start" in df.columns:
        df = df[df["span_start"].isna().to_numpy()]
    if not len(df):
        return empty_annotators(), empty_pairs()
    task = df["task"].astype(str).to_numpy(dtype=object)
    item = df["item"].astype(str).to_numpy(dtype=object)
    annotator = df["annotator"].astype(str).to_numpy(dtype=object)
    label = df["label"].astype(str).to_numpy(dtype=object)
    if "hour" in df.columns:
        hour = df["hour"].to_numpy(dtype=np.int64)
        order_key = hour
    else:
        ns = (
            pd.to_datetime(df["created_at"], utc=True)
            .astype("datetime64[ns, UTC]")
            .astype("int64")
            .to_numpy()
        )
        hour, order_key = ns // HOUR_NS, ns
    unit, _ = pd.factorize(pd.MultiIndex.from_arrays([task, item]))
    ann_code, ann_names = pd.factorize(annotator)
    # The store holds one item-level label per (task, item, annotator); frames may repeat one: keep the latest.
    rater = unit.astype(np.int64) * max(len(ann_names), 1) + ann_code
    if len(np.unique(rater)) < len(rater):
        order = np.argsort(order_key, kind="stable")
        keep = np.sort(order[~pd.Series(rater[order]).duplicated(keep="last").to_numpy()])
        task, item, annotator, label, hour = task[keep], item[keep], annotator[keep], label[keep], hour[keep]
        unit = unit[keep]
    lab_code, lab_names = pd.factorize(label)
    k = len(lab_names)
    ul_key = unit.astype(np.int64) * k + lab_code
    ul, ul_inv, ul_cnt = np.unique(ul_key, return_inverse=True, return_counts=True)
    ul_inv = ul_inv.reshape(-1)
    own = ul_cnt[ul_inv]
    n_units = int(unit.max()) + 1
    m = np.bincount(unit, minlength=n_units)[unit]
    # Per item: the largest label count, how many labels have it, and the largest count below it.
    ul_unit = ul // k
    top1 = np.zeros(n_units, dtype=np.int64)
    np.maximum.at(top1, ul_unit, ul_cnt)
    at_top = ul_cnt == top1[ul_unit]
    n1 = np.bincount(ul_unit[at_top], minlength=n_units)
    top2 = np.zeros(n_units, dtype=np.int64)
    np.maximum.at(top2, ul_unit[~at_top], ul_cnt[~at_top])
    t1, c1, t2 = top1[unit], n1[unit], top2[unit]
    # The others' labels are the item's minus this rating (reports.metrics.consensus.loo_outcome, sparse).
    leader = own == t1
    agree = leader & (c1 == 1) & (t1 - 1 > t2)
    tie = np.where(leader, np.where(c1 == 1, (t1 - 1 == t2) & (t2 > 0), c1 > 2), c1 > 1)
    no_others = m < 2
    compared = ~no_others & ~tie
    disagree = compared & ~agree
    if gold is not None and len(gold):
        gkey = pd.MultiIndex.from_arrays(
            [gold["task"].astype(str).to_numpy(dtype=object), gold["item"].astype(str).to_numpy(dtype=object)]
        )
        gold_label = pd.Series(gold["label"].astype(str).to_numpy(dtype=object), index=gkey)
        gold_label = gold_label[~gold_label.index.duplicated(keep="last")]
        found = gold_label.reindex(pd.MultiIndex.from_arrays([task, item])).to_numpy(dtype=object)
        has_gold = pd.notna(found)
        gold_err = has_gold & (found != label)
    else:
        has_gold = gold_err = np.zeros(len(task), dtype=bool)
    ann = pd.DataFrame(
        {
            "task": task,
            "annotator": annotator,
            "hour": hour,
            "n": 1,
            "gold_n": has_gold.astype(np.int64),
            "gold_err": gold_err.astype(np.int64),
            "loo_n": compared.astype(np.int64),
            "loo_err": disagree.astype(np.int64),
        }
    )
    ann = ann.groupby(["task", "annotator", "hour"], sort=False, as_index=False)[list(COUNTS)].sum()
    return canonical(ann, "annotators"), canonical(
        _pairs(task, hour, lab_code, lab_names, unit, m, ul, ul_cnt, k), "pairs"
    )


def _pairs(
    task: np.ndarray,
    hour: np.ndarray,
    lab_code: np.ndarray,
    lab_names: pd.Index,
    unit: np.ndarray,
    m: np.ndarray,
    ul: np.ndarray,
    ul_cnt: np.ndarray,
    k: int,
) -> pd.DataFrame:
    """The coincidence contributions: ratings of items with >= 2 labels, each against its item's labels."""
    pairable = m >= 2
    if not pairable.any():
        return empty_pairs()
    raters = pd.DataFrame(
        {"unit": unit[pairable], "hour": hour[pairable], "c": lab_code[pairable], "m": m[pairable]}
    )
    raters["task"] = task[pairable]
    grouped = raters.groupby(["unit", "hour", "c"], sort=False).agg(
        w=("m", "size"), m=("m", "first"), task=("task", "first")
    )
    grouped = grouped.reset_index()
    labels_of = pd.DataFrame({"unit": ul // k, "other": ul % k, "cnt": ul_cnt})
    both = grouped.merge(labels_of, on="unit", how="inner")
    s = both["w"].to_numpy() * (both["cnt"].to_numpy() - (both["other"].to_numpy() == both["c"].to_numpy()))
    names = np.asarray(lab_names, dtype=object)
    out = pd.DataFrame(
        {
            "task": both["task"].to_numpy(dtype=object),
            "hour": both["hour"].to_numpy(dtype=np.int64),
            "label": names[both["c"].to_numpy()],
            "other": names[both["other"].to_numpy()],
            "m": both["m"].to_numpy(dtype=np.int64),
            "s": s.astype(np.int64),
        }
    )
    return out.groupby(["task", "hour", "label", "other", "m"], sort=False, as_index=False)["s"].sum()


def add_tables(a: pd.DataFrame, b: pd.DataFrame, kind: str, sign: int = 1) -> pd.DataFrame:
    """a + sign * b, key by key (rows summing to zero dropped)."""
    cols = ANNOTATOR_COLUMNS if kind == "annotators" else PAIR_COLUMNS
    values = list(COUNTS) if kind == "annotators" else ["s"]
    keys = [c for c in cols if c not in values]
    b = b.copy()
    for c in values:
        b[c] = sign * b[c]
    both = pd.concat([a, b], ignore_index=True)
    if not len(both):
        return canonical(both, kind)
    summed = both.groupby(keys, sort=False, as_index=False)[values].sum()
    zero = (summed[values].to_numpy() == 0).all(axis=1)
    return canonical(summed[~zero], kind)


def in_hours(table: pd.DataFrame, first: int | None, stop: int | None) -> pd.DataFrame:
    """The rows of hours in [first, stop) (None: open)."""
    keep = np.ones(len(table), dtype=bool)
    if first is not None:
        keep &= table["hour"].to_numpy() >= first
    if stop is not None:
        keep &= table["hour"].to_numpy() < stop
    return table[keep].reset_index(drop=True)


def daily_outcomes(drift: pd.DataFrame, tz: str) -> pd.DataFrame:
    """Per task, annotator and local day (of each hour's start in `tz`): the drift chart's daily counts."""
    if not len(drift):
        return pd.DataFrame(columns=["task", "annotator", "day", "loo_n", "loo_err", "gold_n", "gold_err"])
    start = pd.to_datetime(drift["hour"].to_numpy(dtype=np.int64) * HOUR_NS, utc=True)
    day = start.tz_convert(tz).tz_localize(None).normalize()
    frame = pd.DataFrame(
        {
            "task": drift["task"].to_numpy(dtype=object),
            "annotator": drift["annotator"].to_numpy(dtype=object),
            "day": day,
            **{c: drift[c].to_numpy(dtype=np.int64) for c in ("loo_n", "loo_err", "gold_n", "gold_err")},
        }
    )
    out = frame.groupby(["task", "annotator", "day"], sort=True, as_index=False).sum()
    return out.astype({c: float for c in ("loo_n", "loo_err", "gold_n", "gold_err")})


@dataclass(frozen=True)
class PairAlpha:
    """One task's alpha from label-pair contributions: the value (None: n/a) and its pairable items."""

    value: float | None
    pairable: float


def pairs_alpha(
    pairs: pd.DataFrame, labels: tuple[str, ...], scale: str, relabel: Mapping[str, str], min_pairable: int
) -> PairAlpha:
    """Krippendorff's alpha of one task's contributions over the categories `labels` (texts via `relabel`).

    Pairable items: each rating of an item with m labels counts 1/m (an item wholly inside counts 1).
    """
    if not len(pairs):
        return PairAlpha(None, 0.0)
    pos = {lab: j for j, lab in enumerate(labels)}
    c = np.array([pos[relabel.get(x, x)] for x in pairs["label"]], dtype=np.int64)
    o_k = np.array([pos[relabel.get(x, x)] for x in pairs["other"]], dtype=np.int64)
    mm = pairs["m"].to_numpy(dtype=np.int64)
    s = pairs["s"].to_numpy(dtype=np.int64)
    k = len(labels)
    o = np.zeros((k, k))
    ratings = 0.0
    # Exact integer sums per item size, then one division each, in a fixed order (the same on any path).
    for size in np.unique(mm):
        mine = mm == size
        block = np.zeros(k * k, dtype=np.int64)
        np.add.at(block, c[mine] * k + o_k[mine], s[mine])
        o += block.reshape(k, k) / (size - 1)
        ratings += int(block.sum()) // (size - 1) / size
    if ratings < min_pairable:
        return PairAlpha(None, float(ratings))
    n_c = o.sum(axis=1)
    if np.count_nonzero(n_c) < 2:
        return PairAlpha(None, float(ratings))
    values = _scale_values(scale, labels, k)  # type: ignore[arg-type]
    return PairAlpha(as_float(alpha_from_coincidence(o, scale, values)), float(ratings))  # type: ignore[arg-type]
