"""Span agreement: pairwise F1 between annotators (exact and overlap matching) and alpha over positions.

A span task's rows carry character offsets (`span_start`, `span_end`, half-open [start, end) as Label
Studio gives them). True negatives are undefined for spans (every substring that nobody marked would be
one), so the standard NER agreement measure is pairwise F1 (Hripcsak & Rothschild 2005):

- **Who annotated an item**: an annotator with any row for it (a span, or a row without offsets, which
  records that they saw the item and marked nothing). Only items with two or more such annotators are
  compared; spans on items with a single annotator are counted as `uncompared_spans`.
- **Item pairs**: every unordered annotator pair on every compared item. For one item pair with span sets
  S_a and S_b and M matched spans, F1 = 2M / (|S_a| + |S_b|) (symmetric: precision with one annotator as
  the reference is the recall with the other). An item pair where neither marked a span has no F1 (0/0):
  it is left out and counted as `empty_item_pairs`.
- **Micro-average**: the task's F1 sums the matches and the spans over every non-empty item pair of every
  annotator pair, F1 = 2 ΣM / Σ(|S_a| + |S_b|), so an item with many spans weighs more than one with few.
  Per label the same sums over that label's spans; per annotator pair the sums over that pair's items.
- **Exact matching**: start, end and label equal. **Overlap matching**: the same label and character
  ranges that intersect (max(start) < min(end); identical ranges, zero-length ones too, always match); a
  span matches at most one span of the other annotator. The matching is a maximum-cardinality matching
  (Kuhn's augmenting paths, left spans in position order, candidates tried largest overlap first, then by
  position): deterministic, and F1 depends only on its size, which every maximum matching shares (a greedy
  matching can be smaller: a long span taking the one partner a shorter neighbour needed).

**Alpha over positions** (when the item's text length is known): each character position of each compared
item is a unit, each annotator of the item gives it a value, the label of the span covering it or "outside"
(several labels of one annotator over one position: their set, as one value), and Krippendorff's nominal
alpha is computed from the coincidence matrix (reports.metrics.agreement.alpha_from_coincidence), each run
of positions with the same values weighted by its length. Spans past the text's end are clipped.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations, pairwise
from typing import Any

import numpy as np
import pandas as pd

from reports.metrics.agreement import alpha_from_coincidence
from reports.metrics.result import (
    MIN_PAIRABLE,
    Coefficient,
    as_float,
    not_available,
    too_few_reason,
)

SPAN_COLUMNS = ("span_start", "span_end")
NO_SPANS_REASON = "no spans on items two annotators both annotated: F1 is 0/0"
UNKNOWN_LENGTH = "text length unknown"
OUTSIDE = "O"  # the value of a position no span covers (as in BIO tagging), named so in JSON

Span = tuple[int, int, str]  # start, end, label


def has_spans(frame: pd.DataFrame) -> bool:
    """True when any row of the frame carries span offsets (the task is a span task)."""
    return all(c in frame.columns for c in SPAN_COLUMNS) and bool(frame["span_start"].notna().any())


@dataclass(frozen=True)
class F1:
    """Matched spans over the spans of both sides; F1 = 2 matches / spans, None (with a reason) at 0/0."""

    matches: int
    spans: int  # |S_a| + |S_b| summed over the item pairs

    @property
    def value(self) -> float | None:
        """2M / (|S_a| + |S_b|), or None when there are no spans."""
        return 2 * self.matches / self.spans if self.spans else None

    def to_json(self) -> dict[str, Any]:
        """{f1, matches, spans, reason}."""
        return {
            "f1": self.value,
            "matches": self.matches,
            "spans": self.spans,
            "reason": None if self.spans else NO_SPANS_REASON,
        }


@dataclass
class _Tally:
    """Running sums of one scope (overall, a label, a pair)."""

    exact: int = 0
    overlap: int = 0
    spans: int = 0
    item_pairs: int = 0
    empty_item_pairs: int = 0

    def add(self, exact: int, overlap: int, spans: int) -> None:
        self.exact += exact
        self.overlap += overlap
        self.spans += spans


@dataclass(frozen=True)
class LabelF1:
    """Exact and overlap F1 over one label's spans."""

    label: str
    spans: int  # spans with this label on compared items (each annotator's, summed)
    exact: F1
    overlap: F1

    def to_json(self) -> dict[str, Any]:
        """{label, spans, exact_f1, overlap_f1, exact, overlap, reason}."""
        return {
            "label": self.label,
            "spans": self.spans,
            "exact_f1": self.exact.value,
            "overlap_f1": self.overlap.value,
            "exact": self.exact.to_json(),
            "overlap": self.overlap.to_json(),
            "reason": None if self.spans else NO_SPANS_REASON,
        }


@dataclass(frozen=True)
class PairF1:
    """Exact and overlap F1 of one annotator pair over the items both annotated."""

    a: str
    b: str
    items: int  # items both annotated
    empty_items: int  # of those, items where neither marked a span (left out of F1)
    spans_a: int
    spans_b: int
    exact: F1
    overlap: F1

    def to_json(self) -> dict[str, Any]:
        """{a, b, items, empty_items, spans_a, spans_b, exact_f1, overlap_f1, exact_matches, ...}."""
        return {
            "a": self.a,
            "b": self.b,
            "items": self.items,
            "empty_items": self.empty_items,
            "spans_a": self.spans_a,
            "spans_b": self.spans_b,
            "exact_f1": self.exact.value,
            "overlap_f1": self.overlap.value,
            "exact_matches": self.exact.matches,
            "overlap_matches": self.overlap.matches,
            "reason": None if self.exact.spans else NO_SPANS_REASON,
        }


@dataclass(frozen=True)
class AnnotatorSpans:
    """One annotator's spans in the task."""

    annotator: str
    spans: int
    items: int  # items they annotated (with or without spans)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class PositionAlpha:
    """Nominal alpha over character positions, with what it covered, or n/a with the reason."""

    alpha: Coefficient  # pairable = items with a known length and two or more annotators
    positions: int  # pairable positions (character units with two or more values)
    items_without_length: int  # compared items whose text length is unknown (left out)
    clipped_spans: int  # spans that ran past the text's end (clipped to it)

    def to_json(self) -> dict[str, Any]:
        """{alpha, reason, items, positions, items_without_length, clipped_spans}."""
        return {
            "alpha": self.alpha.value,
            "reason": self.alpha.reason,
            "items": self.alpha.pairable,
            "positions": self.positions,
            "items_without_length": self.items_without_length,
            "clipped_spans": self.clipped_spans,
        }


@dataclass(frozen=True)
class SpanAgreement:
    """A span task's agreement: micro F1 (exact, overlap), per label, per pair, alpha over positions."""

    exact: F1
    overlap: F1
    per_label: list[LabelF1]
    pairs: list[PairF1]
    annotators: list[AnnotatorSpans]
    position_alpha: PositionAlpha
    spans: int  # span rows of the task (after one per item, annotator and offsets)
    items: int  # items with two or more annotators (compared)
    item_pairs: int  # annotator pairs over compared items, empty ones included
    empty_item_pairs: int  # of those, with no span on either side (no F1: left out)
    uncompared_spans: int  # spans on items with a single annotator
    rows_without_offsets: int  # rows of the task without offsets (an item seen, no span marked)
    matching: str = field(default="maximum-cardinality, largest overlap first")

    def to_json(self) -> dict[str, Any]:
        """The `spans` object of a span task in the digest JSON (docs/digest.md)."""
        return {
            "exact_f1": self.exact.value,
            "overlap_f1": self.overlap.value,
            "reason": None if self.exact.spans else NO_SPANS_REASON,
            "exact": self.exact.to_json(),
            "overlap": self.overlap.to_json(),
            "spans": self.spans,
            "items": self.items,
            "item_pairs": self.item_pairs,
            "empty_item_pairs": self.empty_item_pairs,
            "uncompared_spans": self.uncompared_spans,
            "rows_without_offsets": self.rows_without_offsets,
            "per_label": [x.to_json() for x in self.per_label],
            "pairs": [x.to_json() for x in self.pairs],
            "annotators": [x.to_json() for x in self.annotators],
            "position_alpha": self.position_alpha.to_json(),
            "matching": self.matching,
        }


def intersects(s: Span, t: Span) -> bool:
    """Overlap-match rule without the label: ranges intersect, or are identical (zero-length too)."""
    return max(s[0], t[0]) < min(s[1], t[1]) or (s[0], s[1]) == (t[0], t[1])


def max_overlap_matching(left: Sequence[Span], right: Sequence[Span]) -> list[tuple[int, int]]:
    """A maximum-cardinality matching of intersecting spans (one label), as (left, right) index pairs.

    Kuhn's augmenting paths: left spans in (start, end) order, each one's candidates tried largest
    overlap first, then by position, so the result is deterministic.
    """
    adj: list[list[int]] = []
    for s in left:
        cands = [j for j, t in enumerate(right) if intersects(s, t)]
        cands.sort(key=lambda j: (-(min(s[1], right[j][1]) - max(s[0], right[j][0])), right[j][:2]))
        adj.append(cands)
    match_right: dict[int, int] = {}
    order = sorted(range(len(left)), key=lambda i: left[i][:2])
    for root in order:
        _augment(root, adj, match_right)
    return sorted((i, j) for j, i in match_right.items())


def _augment(root: int, adj: list[list[int]], match_right: dict[int, int]) -> bool:
    """One augmenting path search from `root` (iterative DFS, so long span lists cannot overflow)."""
    seen: set[int] = set()
    # Each frame: (left vertex, position in its candidate list); `via[k]` the right vertex taken at frame k.
    stack: list[list[int]] = [[root, 0]]
    via: list[int] = []
    while stack:
        frame = stack[-1]
        u, pos = frame
        if pos >= len(adj[u]):
            stack.pop()
            if via:
                via.pop()
            continue
        frame[1] += 1
        v = adj[u][pos]
        if v in seen:
            continue
        seen.add(v)
        if v not in match_right:
            # Flip the path: every left vertex on the stack takes the right vertex chosen below it.
            path = [*via, v]
            for (left_u, _), right_v in zip(stack, path, strict=True):
                match_right[right_v] = left_u
            return True
        via.append(v)
        stack.append([match_right[v], 0])
    return False


def _span_rows(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The span rows as (item, annotator, start, end, label) text/int columns, one per offsets; rows without."""
    has = frame["span_start"].notna() & frame["span_end"].notna()
    part = frame[has]
    if "created_at" in part.columns:
        part = part.sort_values("created_at", kind="stable")
    spans = pd.DataFrame(
        {
            "item": part["item"].astype(str).to_numpy(),
            "annotator": part["annotator"].astype(str).to_numpy(),
            "start": part["span_start"].to_numpy().astype(np.int64),
            "end": part["span_end"].to_numpy().astype(np.int64),
            "label": part["label"].astype(str).to_numpy(),
        }
    )
    # The store's natural key: one row per item, annotator and offsets; the latest wins (as on import).
    spans = spans.drop_duplicates(["item", "annotator", "start", "end"], keep="last")
    return spans.sort_values(["item", "annotator", "start", "end", "label"], kind="stable"), int((~has).sum())


def _by_label(spans: Iterable[Span]) -> dict[str, list[Span]]:
    out: dict[str, list[Span]] = defaultdict(list)
    for s in spans:
        out[s[2]].append(s)
    return out


def span_agreement(
    frame: pd.DataFrame,
    lengths: Mapping[str, int] | None = None,
    *,
    min_pairable: int = MIN_PAIRABLE,
) -> SpanAgreement:
    """One span task's agreement from its rows (item, annotator, label, span_start, span_end[, created_at]).

    `lengths` maps an item to its text length in characters; without it alpha over positions is n/a
    ("text length unknown"). Alpha needs `min_pairable` items with a length and two annotators.
    """
    spans, without = _span_rows(frame)
    annotated: dict[str, set[str]] = defaultdict(set)
    for item, ann in zip(frame["item"].astype(str), frame["annotator"].astype(str), strict=True):
        annotated[item].add(ann)
    by_key: dict[tuple[str, str], list[Span]] = defaultdict(list)
    for r in spans.itertuples(index=False):
        by_key[(r.item, r.annotator)].append((int(r.start), int(r.end), r.label))

    total, per_label, per_pair = _Tally(), defaultdict(_Tally), defaultdict(_Tally)
    pair_items: dict[tuple[str, str], int] = defaultdict(int)
    pair_spans: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    compared = uncompared = item_pairs = empty = 0
    for item in sorted(annotated):
        anns = sorted(annotated[item])
        if len(anns) < 2:
            uncompared += len(by_key.get((item, anns[0]), ()))
            continue
        compared += 1
        for a, b in combinations(anns, 2):
            sa, sb = by_key.get((item, a), []), by_key.get((item, b), [])
            item_pairs += 1
            pair_items[(a, b)] += 1
            pair_spans[(a, b)][0] += len(sa)
            pair_spans[(a, b)][1] += len(sb)
            if not sa and not sb:
                empty += 1
                per_pair[(a, b)].empty_item_pairs += 1
                continue
            la, lb = _by_label(sa), _by_label(sb)
            for label in sorted(set(la) | set(lb)):
                xa, xb = la.get(label, []), lb.get(label, [])
                exact = len(set(xa) & set(xb))
                overlap = len(max_overlap_matching(xa, xb)) if xa and xb else 0
                n = len(xa) + len(xb)
                for tally in (total, per_label[label], per_pair[(a, b)]):
                    tally.add(exact, overlap, n)

    labels = sorted(set(spans["label"]))
    return SpanAgreement(
        exact=F1(total.exact, total.spans),
        overlap=F1(total.overlap, total.spans),
        per_label=[
            LabelF1(
                lab,
                per_label[lab].spans,
                F1(per_label[lab].exact, per_label[lab].spans),
                F1(per_label[lab].overlap, per_label[lab].spans),
            )
            for lab in labels
        ],
        pairs=[
            PairF1(
                a,
                b,
                pair_items[(a, b)],
                per_pair[(a, b)].empty_item_pairs,
                pair_spans[(a, b)][0],
                pair_spans[(a, b)][1],
                F1(per_pair[(a, b)].exact, per_pair[(a, b)].spans),
                F1(per_pair[(a, b)].overlap, per_pair[(a, b)].spans),
            )
            for a, b in sorted(pair_items)
        ],
        annotators=_annotators(annotated, by_key),
        position_alpha=position_alpha(annotated, by_key, lengths, min_pairable=min_pairable),
        spans=len(spans),
        items=compared,
        item_pairs=item_pairs,
        empty_item_pairs=empty,
        uncompared_spans=uncompared,
        rows_without_offsets=without,
    )


def _annotators(
    annotated: Mapping[str, set[str]], by_key: Mapping[tuple[str, str], list[Span]]
) -> list[AnnotatorSpans]:
    items: dict[str, int] = defaultdict(int)
    counts: dict[str, int] = defaultdict(int)
    for item, anns in annotated.items():
        for a in anns:
            items[a] += 1
            counts[a] += len(by_key.get((item, a), ()))
    return [AnnotatorSpans(a, counts[a], items[a]) for a in sorted(items)]


def position_alpha(
    annotated: Mapping[str, set[str]],
    by_key: Mapping[tuple[str, str], list[Span]],
    lengths: Mapping[str, int] | None,
    *,
    min_pairable: int = MIN_PAIRABLE,
) -> PositionAlpha:
    """Nominal alpha over the character positions of the compared items whose text length is known."""
    compared = [item for item in sorted(annotated) if len(annotated[item]) >= 2]
    known = [i for i in compared if lengths is not None and lengths.get(i) is not None and lengths[i] > 0]
    missing = len(compared) - len(known)
    if not known:
        reason = UNKNOWN_LENGTH if compared else "no item has two annotators"
        return PositionAlpha(not_available(reason, 0, None), 0, missing, 0)
    assert lengths is not None
    values: dict[frozenset[str], int] = {frozenset(): 0}  # the empty set is "outside"
    rows: list[tuple[int, dict[int, int]]] = []  # (run length, value code -> annotators giving it)
    clipped = 0
    for item in known:
        n_chars = int(lengths[item])
        anns = sorted(annotated[item])
        spans = {a: by_key.get((item, a), []) for a in anns}
        cuts = {0, n_chars}
        for ss in spans.values():
            for s, e, _ in ss:
                clipped += e > n_chars
                cuts |= {min(max(s, 0), n_chars), min(max(e, 0), n_chars)}
        bounds = sorted(cuts)
        for lo, hi in pairwise(bounds):
            tally: dict[int, int] = defaultdict(int)
            for a in anns:
                labs = frozenset(lab for s, e, lab in spans[a] if s <= lo and hi <= e)
                tally[values.setdefault(labs, len(values))] += 1
            rows.append((hi - lo, tally))
    o = np.zeros((len(values), len(values)))
    positions = 0
    for width, tally in rows:
        m = sum(tally.values())
        n = np.zeros(len(values))
        for code, k in tally.items():
            n[code] = k
        o += width * (np.outer(n, n) - np.diag(n)) / (m - 1)
        positions += width
    reason = too_few_reason(len(known), "items with a known text length and two annotators", min_pairable)
    if reason:
        return PositionAlpha(not_available(reason, len(known), None), positions, missing, clipped)
    used = o.sum(axis=1) > 0
    if used.sum() < 2:
        only = next(iter(v for v, c in values.items() if used[c]), frozenset())
        name = "|".join(sorted(only)) or OUTSIDE
        reason = f"a single value over every position ({name!r}): chance-corrected agreement is undefined"
        return PositionAlpha(not_available(reason, len(known), None), positions, missing, clipped)
    value = as_float(alpha_from_coincidence(o, "nominal"))
    alpha = Coefficient(value=value, reason=None, pairable=len(known), raw_agreement=_raw(o))
    return PositionAlpha(alpha, positions, missing, clipped)


def _raw(o: np.ndarray) -> float | None:
    """Observed agreement over the pairable positions: the coincidence matrix's diagonal share."""
    total = o.sum()
    return float(np.trace(o) / total) if total else None
