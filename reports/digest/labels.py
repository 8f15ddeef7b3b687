"""Each task's labels as the digest reads them: numbers by value, multi-choice sets, retired labels.

Before anything is encoded, every frame (window, previous window, baseline, gold) gets one canonical label
text per value, and each task gets the category list it is encoded with:

- **Numbers by value**: on interval and ordinal scales a numeric label takes the text of the guideline
  label of the same value (`1.0` → `1`), so answers and gold match by value, not by spelling.
- **Multi-choice**: an answer `x|y` is the set {x, y}, its choices sorted. A task with any such answer is
  set-valued: its categories are the distinct sets, its alpha uses the MASI distance (scale `masi`).
- **Versions**: an annotation is read against the label set of the guideline version it was made under;
  a label that a later version removed stays a category (a *retired* label), placed where it stood in the
  newest version that had it, and the latest version orders every other label (ordinal scales).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from reports.digest.model import TaskSpec
from reports.metrics.sets import MULTI


@dataclass(frozen=True)
class RetiredLabel:
    """A label the latest guideline version no longer has, with the annotations in the window using it."""

    label: str
    removed_in: str | None  # the first version without it after the last one with it; None: unknown
    annotations: int

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {"label": self.label, "removed_in": self.removed_in, "annotations": self.annotations}


@dataclass(frozen=True)
class TaskLabels:
    """How one task is encoded: categories (the effective spec), its choices, retired labels."""

    spec: TaskSpec  # labels: the categories; scale: `masi` for a multi-choice task
    scale: str  # the guideline's scale, as published
    choices: tuple[str, ...]  # the single labels (for a multi-choice task: the choices of its sets)
    multi_choice: bool
    retired: tuple[RetiredLabel, ...] = field(default=())
    level_note: str | None = None  # why agreement is at another level than the guideline's scale


def _number(text: str) -> float | None:
    try:
        num = float(text)
    except ValueError:
        return None
    return num if math.isfinite(num) else None


def merged_order(spec: TaskSpec) -> tuple[str, ...]:
    """The latest labels in their order, each retired label after its nearest predecessor still present."""
    out = list(spec.labels)
    for _, labels in reversed(spec.version_labels):
        for k, lab in enumerate(labels):
            if lab in out:
                continue
            before = next((p for p in reversed(labels[:k]) if p in out), None)
            out.insert(out.index(before) + 1 if before is not None else 0, lab)
    return tuple(out)


def _removed_in(spec: TaskSpec, label: str) -> str | None:
    """The version that dropped `label`: the first one after the last version that had it (None: unknown)."""
    versions = [v for v, _ in spec.version_labels]
    having = [k for k, (_, labels) in enumerate(spec.version_labels) if label in labels]
    if not having or having[-1] + 1 >= len(versions):
        return None
    return versions[having[-1] + 1]


class _Canon:
    """Canonical text for the label values of one task."""

    def __init__(self, spec: TaskSpec) -> None:
        self.spec = spec
        self.known = merged_order(spec)
        self.known_set = frozenset(self.known)
        self.by_value: dict[float, str] = {}
        if spec.scale in ("interval", "ordinal"):
            for lab in self.known:  # latest first: its spelling wins
                num = _number(lab)
                if num is not None:
                    self.by_value.setdefault(num, lab)

    def single(self, text: str) -> str:
        if text in self.known_set:
            return text
        num = _number(text) if self.by_value or self.spec.scale == "interval" else None
        if num is not None:
            if num in self.by_value:
                return self.by_value[num]
            if self.spec.scale == "interval":
                return str(int(num)) if num.is_integer() else repr(num)
        return text

    def __call__(self, text: str) -> str:
        text = self.single(text)
        if text in self.known_set or MULTI not in text:
            return text
        choices = sorted({self.single(p) for p in text.split(MULTI)})
        return MULTI.join(choices)


def _label_map(values: Iterable[Any], canon: _Canon) -> dict[Any, Any]:
    """Observed label values → canonical text (missing values stay missing)."""
    return {
        v: (v if v is None or (isinstance(v, float) and math.isnan(v)) else canon(str(v))) for v in values
    }


def _relabel(frame: pd.DataFrame, canons: Mapping[str, _Canon]) -> pd.DataFrame:
    """`frame` with every label in its canonical text (the same object when nothing changes)."""
    if frame is None or not len(frame) or "label" not in frame.columns:
        return frame
    labels = frame["label"]
    every = labels.cat.categories if isinstance(labels.dtype, pd.CategoricalDtype) else pd.unique(labels)
    if all(_label_map(every, canon) == {v: v for v in every} for canon in canons.values()):
        return frame  # the common case: every label already canonical (checked once per distinct label)
    task_col = frame["task"] if "task" in frame.columns else None
    changed = False
    out = labels.astype(object).to_numpy(copy=True)
    for task, canon in canons.items():
        mask = np.ones(len(frame), dtype=bool) if task_col is None else (task_col == task).to_numpy()
        if not mask.any():
            continue
        uniques = pd.unique(out[mask])
        mapping = _label_map(uniques, canon)
        if all(mapping[u] is u or mapping[u] == u for u in uniques):
            continue
        changed = True
        out[mask] = pd.Series(out[mask], dtype=object).map(mapping).to_numpy()
    if not changed:
        return frame
    frame = frame.copy()
    frame["label"] = pd.Categorical(out) if isinstance(labels.dtype, pd.CategoricalDtype) else out
    return frame


def _observed(frames: Sequence[pd.DataFrame | None], task: str) -> set[str]:
    seen: set[str] = set()
    for frame in frames:
        if frame is None or not len(frame):
            continue
        part = frame if "task" not in frame.columns else frame[(frame["task"] == task).to_numpy()]
        seen |= {str(x) for x in pd.unique(part["label"].dropna())}
    return seen


def _category_order(canon: _Canon, observed: set[str]) -> tuple[tuple[str, ...], tuple[str, ...], bool]:
    """(categories, choices, multi-choice?) from the known order and the observed labels."""
    multi = {x for x in observed if x not in canon.known_set and MULTI in x}
    singles = {x for x in observed if x not in multi}
    for m in multi:
        singles |= set(m.split(MULTI))
    latest = set(canon.spec.labels)
    # The latest labels always, other known labels only when used (extra columns would change AC1's q).
    choices = [lab for lab in canon.known if lab in latest or lab in singles]
    extra = sorted(singles - set(choices), key=lambda x: (_number(x) is None, _number(x) or 0.0, x))
    choices += extra
    if not multi:
        return tuple(choices), tuple(choices), False
    pos = {lab: k for k, lab in enumerate(choices)}
    sets = sorted(multi, key=lambda m: (len(m.split(MULTI)), [pos[p] for p in m.split(MULTI)]))
    return (*choices, *sets), tuple(choices), True


def prepare_labels(
    tasks: Mapping[str, TaskSpec],
    frames: Sequence[pd.DataFrame | None],
    gold: pd.DataFrame | None,
) -> tuple[list[pd.DataFrame | None], pd.DataFrame | None, dict[str, TaskLabels]]:
    """Frames and gold relabelled canonically, and each task's encoding (effective spec, retired labels)."""
    canons = {task: _Canon(spec) for task, spec in tasks.items()}
    frames = [_relabel(f, canons) for f in frames]
    gold = _relabel(gold, canons) if gold is not None else None
    out: dict[str, TaskLabels] = {}
    window = frames[0] if frames else None
    for task, spec in tasks.items():
        canon = canons[task]
        observed = _observed(frames, task)
        categories, choices, multi = _category_order(canon, observed)
        latest = set(spec.labels)
        in_window = _choice_counts(window, task, multi)
        retired = tuple(
            RetiredLabel(lab, _removed_in(spec, lab), in_window.get(lab, 0))
            for lab in choices
            if lab not in latest
        )
        scale = "masi" if multi else spec.scale
        note = None
        words = [c for c in categories if _number(c) is None]
        if scale == "interval" and words:
            # Labels of an earlier, non-numeric version (the scale changed): no distance between a word and
            # a number exists, so the task is compared at the nominal level, and the digest says so.
            scale = "nominal"
            shown = ", ".join(f'"{w}"' for w in words[:5]) + (
                f" and {len(words) - 5} more" if len(words) > 5 else ""
            )
            note = (
                f"labels {shown} (of an earlier version) are not numbers, so interval distances are undefined: "
                "agreement is computed at the nominal level"
            )
        effective = replace(spec, labels=categories, scale=scale)  # type: ignore[arg-type]
        out[task] = TaskLabels(effective, spec.scale, choices, multi, retired, note)
    return frames, gold, out


def _choice_counts(frame: pd.DataFrame | None, task: str, multi: bool) -> dict[str, int]:
    """Annotations per single label in the window (a multi-choice answer counts for each of its choices)."""
    if frame is None or not len(frame):
        return {}
    part = frame if "task" not in frame.columns else frame[(frame["task"] == task).to_numpy()]
    counts = part["label"].dropna().astype(str).value_counts()
    out: dict[str, int] = {}
    for label, n in counts.items():
        for choice in str(label).split(MULTI) if multi else [str(label)]:
            out[choice] = out.get(choice, 0) + int(n)
    return out
