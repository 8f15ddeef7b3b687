"""The per-task parts of the digest: coefficients, daily trend, matrix, pairs, confusions, segments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from reports.digest.model import Confusion, PairRow, SegmentRow, TaskAgreement
from reports.digest.slices import TaskSlice
from reports.metrics import (
    Coefficient,
    agreement_matrix,
    coincidence,
    confusion_pairs,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    pairwise_cohen,
    percent_agreement,
    wilson_interval,
)
from reports.metrics.agreement import Z95
from reports.metrics.result import as_float, not_available
from reports.metrics.sets import choice_sets

TOP_CONFUSIONS = 5
SEGMENTS = ("cohort", "guideline_version")
# Multi-choice tasks: percent agreement is exact-set agreement; alpha uses the MASI distance; these are n/a.
MULTI_REASON = (
    "multi-choice labels: over exact sets {x, y} against {x} would count as full disagreement; "
    "read krippendorff_alpha (MASI distance) and per_label (binary alpha per choice)"
)
SET_VALUED = ("fleiss_kappa", "gwet_ac1", "cohen_kappa_mean")


@dataclass(frozen=True)
class AgreementPart:
    """What one task adds to the digest's agreement sections."""

    task: TaskAgreement
    pairs: list[PairRow]
    confusions: list[Confusion]


def task_agreement(part: TaskSlice, day_index: pd.Index, n_boot: int) -> AgreementPart:
    """The task's coefficients (alpha with a bootstrap interval), daily alpha, matrix, pairs, confusions."""
    spec, counts, info = part.spec, part.counts, part.labels
    minimum = part.settings.min_pairable
    multi = info is not None and info.multi_choice
    pw = pairwise_cohen(
        part.enc,
        spec.labels,
        spec.scale,
        min_pairable=minimum,
        ordinal_weights=part.settings.ordinal_weights,  # type: ignore[arg-type]
    )
    alpha = krippendorff_alpha(counts, spec.scale, spec.labels, n_boot=n_boot, min_pairable=minimum)
    coefs = {
        "percent": percent_agreement(counts, min_pairable=minimum),
        "krippendorff_alpha": alpha,
        "fleiss_kappa": fleiss_kappa(counts, spec.labels, min_pairable=minimum),
        "gwet_ac1": gwet_ac1(counts, spec.labels, min_pairable=minimum),
        "cohen_kappa_mean": _cohen_mean(pw, alpha.pairable, alpha.raw_agreement, minimum),
    }
    if multi:
        coefs.update(
            {k: not_available(MULTI_REASON, alpha.pairable, alpha.raw_agreement) for k in SET_VALUED}
        )
        pw = pw.assign(kappa=np.nan, reason=MULTI_REASON)
    agreement = TaskAgreement(
        task=part.task,
        scale=info.scale if info is not None else spec.scale,
        labels=spec.labels,
        coefficients=coefs,
        pairable=alpha.pairable,
        daily=_daily(part, day_index),
        matrix=_matrix(part),
        coincidence=coincidence(counts).round(6).tolist(),
        alpha_distance=spec.scale,
        multi_choice=multi,
        choices=info.choices if info is not None else spec.labels,
        per_label=_per_label(part) if multi else [],
        retired_labels=[r.to_json() for r in info.retired] if info is not None else [],
        scale_note=info.level_note if info is not None else None,
    )
    return AgreementPart(agreement, _pairs(part.task, pw), _confusions(part, n_boot))


def _per_label(part: TaskSlice) -> list[dict[str, Any]]:
    """Per choice of a multi-choice task: present/absent per item and annotator, nominal alpha over that."""
    assert part.labels is not None
    counts = part.counts
    sets = choice_sets(part.spec.labels)
    total = counts.sum(axis=1)
    out = []
    for choice in part.labels.choices:
        cols = [k for k, s in enumerate(sets) if choice in s]
        present = counts[:, cols].sum(axis=1)
        alpha = krippendorff_alpha(
            np.stack([total - present, present], axis=1),
            "nominal",
            ("absent", "present"),
            min_pairable=part.settings.min_pairable,
        )
        out.append(
            {
                "label": choice,
                "present": int(present.sum()),
                "krippendorff_alpha": alpha.value,
                "percent": alpha.raw_agreement,
                "reason": alpha.reason,
            }
        )
    return out


def _cohen_mean(pairs: pd.DataFrame, pairable: int, raw: float | None, minimum: int) -> Coefficient:
    """Mean of the annotator pairs' kappas that are defined; n/a with a reason when none is."""
    ok = pairs["kappa"].dropna()
    if ok.empty:
        reason = (
            f"no annotator pair has a defined kappa (each needs {minimum} co-labelled items and two labels)"
        )
        return not_available(reason, pairable, raw)
    return Coefficient(value=float(ok.mean()), reason=None, pairable=pairable, raw_agreement=raw)


def _daily(part: TaskSlice, day_index: pd.Index) -> list[dict[str, Any]]:
    """Alpha and percent agreement among the ratings made each (local) day of the window."""
    out = []
    for code, day in enumerate(day_index):
        mask = part.days == code
        alpha = krippendorff_alpha(
            part.enc.counts(mask), part.spec.scale, part.spec.labels, min_pairable=part.settings.min_pairable
        )
        out.append(
            {
                "day": pd.Timestamp(day).date().isoformat(),
                "annotations": int(mask.sum()),
                "alpha": alpha.value,
                "percent": alpha.raw_agreement,
                "reason": alpha.reason,
            }
        )
    return out


def _matrix(part: TaskSlice) -> dict[str, Any]:
    percent, counts = agreement_matrix(part.enc)
    return {
        "annotators": [str(a) for a in percent.index],
        "percent": [[as_float(x) for x in row] for row in percent.to_numpy()],
        "counts": counts.to_numpy().astype(int).tolist(),
    }


def _pairs(task: str, pw: pd.DataFrame) -> list[PairRow]:
    return [
        PairRow(
            task=task,
            a=str(r.a),
            b=str(r.b),
            n=int(r.n),
            percent=as_float(r.percent),
            kappa=as_float(r.kappa),
            weights=r.weights,
            reason=r.reason,
        )
        for r in pw.itertuples(index=False)
    ]


def _confusions(part: TaskSlice, n_boot: int) -> list[Confusion]:
    """The task's TOP_CONFUSIONS pairs confused more than their labels' frequencies predict, largest excess first."""
    # Sorted by excess, so the pairs above their expectation come first: intervals only for those shown.
    conf = confusion_pairs(part.counts, part.spec.labels, n_boot=n_boot, top=TOP_CONFUSIONS)
    conf = conf[conf["excess"] > 1e-9].head(TOP_CONFUSIONS)  # float noise of a pair exactly at expectation
    return [
        Confusion(
            task=part.task,
            label_a=r.label_a,
            label_b=r.label_b,
            observed=float(r.observed),
            expected=float(r.expected),
            ratio=as_float(r.ratio),
            excess=float(r.excess),
            ratio_ci=(float(r.ratio_low), float(r.ratio_high)) if np.isfinite(r.ratio_low) else None,
        )
        for r in conf.itertuples(index=False)
    ]


def segment_rows(part: TaskSlice, by: str) -> list[SegmentRow]:
    """Alpha, percent and gold accuracy per value of `by` (masks over the task's one encoding); [] if unset."""
    tdf, enc = part.frame, part.enc
    if by not in tdf.columns or not tdf[by].notna().any():
        return []
    seg = tdf[by].iloc[enc.row]
    codes, values = pd.factorize(seg.astype(object).where(seg.notna(), "(unset)").astype(str), sort=True)
    rows = []
    for code, value in enumerate(values):
        mask = codes == code
        alpha = krippendorff_alpha(
            enc.counts(mask), part.spec.scale, part.spec.labels, min_pairable=part.settings.min_pairable
        )
        n = int((part.outcome[mask] >= 0).sum())
        correct = int((part.outcome[mask] == 1).sum())
        lo, hi = wilson_interval(correct, n, z=Z95)
        rows.append(
            SegmentRow(
                task=part.task,
                value=value,
                annotations=int(mask.sum()),
                annotators=len(np.unique(enc.annotator[mask])),
                alpha=alpha.value,
                alpha_reason=alpha.reason,
                percent=alpha.raw_agreement,
                gold_n=n,
                gold_accuracy=correct / n if n else None,
                gold_ci=(float(lo), float(hi)) if n else None,
            )
        )
    return rows
