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

from collections.abc import Mapping, Sequence
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
    # Integer codes throughout: (task, item) tuples would cost more than everything else together.
    task_code, task_names = pd.factorize(task)
    item_code, item_names = pd.factorize(item)
    task_names, item_names = pd.Index(task_names, dtype=object), pd.Index(item_names, dtype=object)
    pair_key = task_code.astype(np.int64) * len(item_names) + item_code
    unit, _ = pd.factorize(pair_key)
    ann_code, ann_names = pd.factorize(annotator)
    # The store holds one item-level label per (task, item, annotator); frames may repeat one: keep the latest.
    rater = unit.astype(np.int64) * max(len(ann_names), 1) + ann_code
    ordered = np.sort(rater)  # sorting beats hashing 10^6 integers
    if (ordered[1:] == ordered[:-1]).any():
        order = np.argsort(order_key, kind="stable")
        keep = np.sort(order[~pd.Series(rater[order]).duplicated(keep="last").to_numpy()])
        label, hour, unit = label[keep], hour[keep], unit[keep]
        task_code, ann_code, pair_key = task_code[keep], ann_code[keep], pair_key[keep]
    lab_code, lab_names = pd.factorize(label)
    gold_code = np.full(len(unit), -1, dtype=np.int64)
    if gold is not None and len(gold):
        g_task = task_names.get_indexer(gold["task"].astype(str).to_numpy(dtype=object))
        g_item = item_names.get_indexer(gold["item"].astype(str).to_numpy(dtype=object))
        ok = (g_task >= 0) & (g_item >= 0)
        g_key = g_task[ok].astype(np.int64) * len(item_names) + g_item[ok]
        g_label = gold["label"].astype(str).to_numpy(dtype=object)[ok]
        last = ~pd.Series(g_key).duplicated(keep="last").to_numpy()
        at = pd.Index(g_key[last]).get_indexer(pair_key)
        if (at >= 0).any():
            # Gold answers as codes of the ratings' labels; one no rating has gets a code of its own.
            lab_names = pd.Index(lab_names, dtype=object)
            g_code = lab_names.get_indexer(g_label[last])
            g_code[g_code < 0] = len(lab_names)
            gold_code = np.where(at >= 0, g_code[np.maximum(at, 0)], -1)
    return code_tables(
        Codes(task_code, task_names, unit, ann_code, ann_names, lab_code, lab_names, hour, gold_code)
    )


@dataclass(frozen=True, eq=False)
class Codes:
    """Item-level ratings as integer codes, one entry per rating (one rating per item and annotator).

    `unit`: the rating's (task, item), any non-negative integers (each item's own; dense keeps memory
    small); `task` the task's code of each rating; `gold`: the code (in `labels`) of the item's gold
    answer, -1 for none (a gold answer no rating has may have any code >= len(labels)).
    """

    task: np.ndarray
    tasks: Sequence[str]
    unit: np.ndarray
    annotator: np.ndarray
    annotators: Sequence[str]
    label: np.ndarray
    labels: Sequence[str]
    hour: np.ndarray
    gold: np.ndarray


def code_tables(codes: Codes) -> tuple[pd.DataFrame, pd.DataFrame]:
    """hour_tables of ratings given as codes: every rating of each item it describes, none repeated."""
    if not len(codes.unit):
        return empty_annotators(), empty_pairs()
    task_code = np.asarray(codes.task, dtype=np.int64)
    ann_code = np.asarray(codes.annotator, dtype=np.int64)
    hour = np.asarray(codes.hour, dtype=np.int64)
    lab_code = np.asarray(codes.label, dtype=np.int64)
    # Dense units of these ratings (the caller's codes may be sparse over a subset).
    unit, _ = pd.factorize(np.asarray(codes.unit, dtype=np.int64))
    k = len(codes.labels)
    ul_key = unit.astype(np.int64) * k + lab_code
    ul_inv, ul = pd.factorize(ul_key)
    ul_cnt = np.bincount(ul_inv, minlength=len(ul))
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
    gold_code = np.asarray(codes.gold, dtype=np.int64)
    has_gold = gold_code >= 0
    gold_err = has_gold & (gold_code != lab_code)
    counts = np.stack(
        [np.ones(len(unit), dtype=np.int64), has_gold, gold_err, compared, disagree], axis=1
    ).astype(np.int64)
    n_ann = max(len(codes.annotators), 1)
    hour_code, hour_values = pd.factorize(hour)
    key = (task_code * n_ann + ann_code) * len(hour_values) + hour_code
    inv, keys = pd.factorize(key)
    # Sums of 0/1 columns: float64 weights are exact far beyond any count here.
    sums = np.stack(
        [np.bincount(inv, weights=counts[:, j], minlength=len(keys)) for j in range(len(COUNTS))], axis=1
    ).astype(np.int64)
    hc = keys % len(hour_values)
    rest = keys // len(hour_values)
    task_names = np.asarray(codes.tasks, dtype=object)
    ann = pd.DataFrame(
        {
            "task": task_names[rest // n_ann],
            "annotator": np.asarray(codes.annotators, dtype=object)[rest % n_ann],
            "hour": np.asarray(hour_values, dtype=np.int64)[hc],
            **{c: sums[:, j] for j, c in enumerate(COUNTS)},
        }
    )
    pairs = _pairs(task_code, task_names, hour, lab_code, codes.labels, unit, m, ul, ul_cnt, k)
    return canonical(ann, "annotators"), canonical(pairs, "pairs")


def _pairs(
    task: np.ndarray,
    task_names: np.ndarray,
    hour: np.ndarray,
    lab_code: np.ndarray,
    lab_names: Sequence[str],
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
    unit, hour, c, m, task = unit[pairable], hour[pairable], lab_code[pairable], m[pairable], task[pairable]
    hour_code, hour_values = pd.factorize(hour)
    # Ratings grouped by (item, hour, label): w of them, each paired with every label entry of its item.
    g_inv, g_key = pd.factorize((unit.astype(np.int64) * len(hour_values) + hour_code) * k + c)
    w = np.bincount(g_inv, minlength=len(g_key))
    first = np.zeros(len(g_key), dtype=np.int64)
    first[g_inv[::-1]] = np.arange(len(g_inv))[::-1]  # a row of each group
    g_unit, g_c = g_key // k // len(hour_values), g_key % k
    # The items' label entries sorted by item: entries of item u are at start[u] : start[u] + count[u].
    e_unit, e_lab = ul // k, ul % k
    order = np.argsort(e_unit, kind="stable")
    e_unit, e_lab, e_cnt = e_unit[order], e_lab[order], ul_cnt[order]
    n_units = int(max(e_unit.max(), g_unit.max())) + 1
    per_unit = np.bincount(e_unit, minlength=n_units)
    start = np.concatenate([[0], np.cumsum(per_unit)[:-1]])
    reps = per_unit[g_unit]
    g_of = np.repeat(np.arange(len(g_key)), reps)
    within = np.arange(len(g_of)) - np.repeat(np.cumsum(reps) - reps, reps)
    e = start[g_unit][g_of] + within
    s = w[g_of] * (e_cnt[e] - (e_lab[e] == g_c[g_of]))
    row = first[g_of]
    t_code = task
    key = ((t_code[row].astype(np.int64) * len(hour_values) + hour_code[row]) * k + g_c[g_of]) * k + e_lab[e]
    key = key * (int(m.max()) + 1) + m[row]
    inv, keys = pd.factorize(key)
    total = np.bincount(inv, weights=s, minlength=len(keys)).astype(np.int64)
    mm = keys % (int(m.max()) + 1)
    rest = keys // (int(m.max()) + 1)
    other, rest = rest % k, rest // k
    lab, rest = rest % k, rest // k
    hc, tc = rest % len(hour_values), rest // len(hour_values)
    names = np.asarray(lab_names, dtype=object)
    return pd.DataFrame(
        {
            "task": task_names[tc],
            "hour": np.asarray(hour_values, dtype=np.int64)[hc],
            "label": names[lab],
            "other": names[other],
            "m": mm.astype(np.int64),
            "s": total,
        }
    )


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


def sum_tables(parts: list[tuple[pd.DataFrame, pd.DataFrame]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The (annotator-hour, label-pair-hour) tables of disjoint sets of items, summed key by key."""
    if not parts:
        return empty_annotators(), empty_pairs()
    return (
        add_tables(pd.concat([p[0] for p in parts], ignore_index=True), empty_annotators(), "annotators"),
        add_tables(pd.concat([p[1] for p in parts], ignore_index=True), empty_pairs(), "pairs"),
    )


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


Delta = tuple[dict[tuple[str, str, int], list[int]], dict[tuple[str, int, str, str, int], int]]


def small_tables(rows: list[tuple[str, str, str, str, int]], gold: dict[tuple[str, str], str]) -> Delta:
    """hour_tables in plain Python for a few items' rows (task, item, annotator, label, hour), one label per
    (task, item, annotator) as the store holds them: the webhook's per-write cost without pandas."""
    items: dict[tuple[str, str], dict[str, int]] = {}
    for task, item, _, label, _ in rows:
        counts = items.setdefault((task, item), {})
        counts[label] = counts.get(label, 0) + 1
    annotators: dict[tuple[str, str, int], list[int]] = {}
    pairs: dict[tuple[str, int, str, str, int], int] = {}
    for task, item, annotator, label, hour in rows:
        counts = items[(task, item)]
        m = sum(counts.values())
        t1 = max(counts.values())
        c1 = sum(1 for v in counts.values() if v == t1)
        t2 = max((v for v in counts.values() if v < t1), default=0)
        leader = counts[label] == t1
        agree = leader and c1 == 1 and t1 - 1 > t2
        tie = ((t1 - 1 == t2 and t2 > 0) if c1 == 1 else c1 > 2) if leader else c1 > 1
        compared = m >= 2 and not tie
        answer = gold.get((task, item))
        tally = annotators.setdefault((task, annotator, hour), [0, 0, 0, 0, 0])
        tally[0] += 1
        tally[1] += answer is not None
        tally[2] += answer is not None and answer != label
        tally[3] += compared
        tally[4] += compared and not agree
        if m >= 2:
            for other, n in counts.items():
                key = (task, hour, label, other, m)
                pairs[key] = pairs.get(key, 0) + n - (other == label)
    return annotators, pairs


def small_delta(after: Delta, before: Delta) -> Delta:
    """after - before, key by key, without the keys that cancel out."""
    hours = {k: list(v) for k, v in after[0].items()}
    for k, v in before[0].items():
        cur = hours.setdefault(k, [0, 0, 0, 0, 0])
        for j in range(5):
            cur[j] -= v[j]
    pairs = dict(after[1])
    for k, v in before[1].items():
        pairs[k] = pairs.get(k, 0) - v
    return (
        {k: v for k, v in hours.items() if any(v)},
        {k: v for k, v in pairs.items() if v},
    )
