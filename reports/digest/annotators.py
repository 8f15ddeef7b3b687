"""The per-annotator part of the digest: consensus and gold tallies summed over tasks, then one row each."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from reports.digest.model import Alert, AnnotatorRow
from reports.digest.slices import TaskSlice
from reports.metrics import consensus_agreement, wilson_interval
from reports.metrics.agreement import Z95


class AnnotatorTally:
    """Per annotator over the tasks added: [annotations, consensus n, consensus agreements, gold n, correct]."""

    def __init__(self) -> None:
        self.per_annotator: dict[str, np.ndarray] = {}
        self.spans: dict[str, int] = {}  # span rows per annotator, over span tasks
        self.gold_items = 0  # items with gold, summed over tasks

    def add(self, part: TaskSlice) -> None:
        """Count one task's consensus agreement and gold outcomes per annotator."""
        if part.spans:
            self._add_spans(part)
            return
        enc, outcome = part.enc, part.outcome
        cons = consensus_agreement(enc)
        m = len(enc.annotators)
        gold_n = np.bincount(enc.annotator[outcome >= 0], minlength=m)
        gold_ok = np.bincount(enc.annotator[outcome == 1], minlength=m)
        has_gold = np.zeros(len(enc.units), dtype=bool)
        has_gold[enc.unit[outcome >= 0]] = True
        self.gold_items += int(has_gold.sum())
        stacked = np.column_stack([cons["items"], cons["n"], cons["agreements"], gold_n, gold_ok])
        for name, row in zip(enc.annotators, stacked, strict=True):
            self.per_annotator[str(name)] = self.per_annotator.get(str(name), 0) + row

    def _add_spans(self, part: TaskSlice) -> None:
        """A span task: every row counts as an annotation; no consensus or gold (item labels, not spans)."""
        frame = part.frame
        names = frame["annotator"].astype(str)
        rows = names.value_counts()
        spans = names[frame["span_start"].notna().to_numpy()].value_counts()
        for name, n in rows.items():
            add = np.array([n, 0, 0, 0, 0])
            self.per_annotator[str(name)] = self.per_annotator.get(str(name), 0) + add
            self.spans[str(name)] = self.spans.get(str(name), 0) + int(spans.get(name, 0))

    def gold_totals(self) -> tuple[int, int]:
        """(gold ratings, correct ones) over every annotator."""
        tot = sum(self.per_annotator.values()) if self.per_annotator else np.zeros(5)
        return int(tot[3]), int(tot[4])

    def rows(self, alerts: Iterable[Alert]) -> list[AnnotatorRow]:
        """One row per annotator in name order, with their alert sentences by day."""
        by_ann: dict[str, list[str]] = {}
        for a in sorted(alerts, key=lambda a: (a.day, a.rule)):
            by_ann.setdefault(a.annotator, []).append(a.text)
        rows = []
        for name, (items, cons_n, cons_ok, gold_n, gold_ok) in sorted(self.per_annotator.items()):
            lo, hi = wilson_interval(int(gold_ok), int(gold_n), z=Z95)
            rows.append(
                AnnotatorRow(
                    annotator=name,
                    annotations=int(items),
                    agreement_with_consensus=float(cons_ok / cons_n) if cons_n else None,
                    consensus_n=int(cons_n),
                    gold_accuracy=float(gold_ok / gold_n) if gold_n else None,
                    gold_n=int(gold_n),
                    gold_ci=(float(lo), float(hi)) if gold_n else None,
                    alerts=by_ann.get(name, []),
                    spans=self.spans.get(name, 0),
                )
            )
        return rows
