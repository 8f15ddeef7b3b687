"""The digest's typed parts; each `to_json()` produces its slice of the JSON contract (docs/digest.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from reports.metrics import MIN_PAIRABLE, Coefficient, ReleaseChange, Scale

# Krippendorff's (2004) conventional reliability bands for alpha.
RELIABLE = 0.8
TENTATIVE = 0.667


def band(alpha: float | None) -> str | None:
    """'reliable' (>= 0.8), 'tentative' (>= 0.667), 'low', or None when alpha is n/a."""
    if alpha is None:
        return None
    return "reliable" if alpha >= RELIABLE else "tentative" if alpha >= TENTATIVE else "low"


@dataclass(frozen=True)
class TaskSpec:
    """What the guideline says about a task: its full ordered label list, scale and sections per label."""

    labels: tuple[str, ...]
    scale: Scale = "nominal"
    guideline: str | None = None  # guideline slug
    version: str | None = None
    label_sections: dict[str, tuple[str, str]] = field(default_factory=dict)  # label -> (anchor, title)
    # Every published version's labels, oldest first (the latest included): an annotation is read against
    # the labels of the version it was made under; labels a later version removed are "retired".
    version_labels: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class Window:
    """The digest's half-open time window [start, end), tz-aware (in the report's zone; UTC by default)."""

    start: datetime
    end: datetime

    def to_json(self) -> dict[str, str]:
        """ISO timestamps."""
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}


@dataclass(frozen=True)
class Counts:
    """Volume in the window."""

    annotations: int
    items: int
    annotators: int
    gold_items: int

    def to_json(self) -> dict[str, int]:
        """JSON-ready dict."""
        return dict(self.__dict__)


AGREEMENT_KEYS = ("percent", "krippendorff_alpha", "fleiss_kappa", "gwet_ac1", "cohen_kappa_mean")


@dataclass(frozen=True)
class TaskAgreement:
    """One task's agreement coefficients, daily trend, annotator matrix and label coincidences."""

    task: str
    scale: str
    labels: tuple[str, ...]
    coefficients: dict[str, Coefficient]  # keys: AGREEMENT_KEYS
    pairable: int
    daily: list[dict[str, Any]]  # {day, annotations, alpha, percent}
    matrix: dict[str, Any]  # {annotators, percent[][], counts[][]}
    coincidence: list[list[float]]
    alpha_distance: str = "nominal"  # the scale's distance; `masi` for multi-choice labels
    multi_choice: bool = False
    choices: tuple[str, ...] = ()  # the single labels (multi-choice: the choices the sets are made of)
    per_label: list[dict[str, Any]] = field(default_factory=list)  # multi-choice: binary alpha per choice
    retired_labels: list[dict[str, Any]] = field(default_factory=list)  # {label, removed_in, annotations}
    spans: dict[str, Any] | None = None  # a span task's agreement (reports.metrics.spans); None otherwise
    scale_note: str | None = None  # why alpha_distance differs from the guideline's scale, if it does

    def to_json(self) -> dict[str, Any]:
        """Numbers, or null with the reason in `reasons`; raw agreement and alpha's interval beside."""
        agreement: dict[str, Any] = {k: self.coefficients[k].value for k in AGREEMENT_KEYS}
        alpha = self.coefficients["krippendorff_alpha"]
        agreement.update(
            pairable=self.pairable,
            raw_agreement=alpha.raw_agreement,
            alpha_ci=list(alpha.ci) if alpha.ci else None,
            alpha_band=band(alpha.value),
            alpha_distance=self.alpha_distance,
            reasons={k: c.reason for k, c in self.coefficients.items() if c.value is None},
        )
        return {
            "task": self.task,
            "scale": self.scale,
            "labels": list(self.labels),
            "agreement": agreement,
            "daily": self.daily,
            "matrix": self.matrix,
            "coincidence": self.coincidence,
            "multi_choice": self.multi_choice,
            "choices": list(self.choices or self.labels),
            "per_label": self.per_label,
            "retired_labels": self.retired_labels,
            "scale_note": self.scale_note,
            "span_task": self.spans is not None,
            "spans": self.spans,
        }


@dataclass(frozen=True)
class AnnotatorRow:
    """One annotator over all tasks in the window."""

    annotator: str
    annotations: int
    agreement_with_consensus: float | None
    consensus_n: int
    gold_accuracy: float | None
    gold_n: int
    gold_ci: tuple[float, float] | None
    alerts: list[str]
    spans: int = 0  # span rows in span tasks (their items count in `annotations` by rows, not by item)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {**self.__dict__, "gold_ci": list(self.gold_ci) if self.gold_ci else None}


@dataclass(frozen=True)
class PairRow:
    """Cohen's kappa of one co-labelling annotator pair on one task."""

    task: str
    a: str
    b: str
    n: int
    percent: float | None
    kappa: float | None
    weights: str | None
    reason: str | None

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class Confusion:
    """A label pair confused within items more than its labels' frequencies predict (reports.metrics.confusions)."""

    task: str
    label_a: str
    label_b: str
    observed: float  # coincidences: fractional when items have more than two labels
    expected: float  # the task's disagreements spread over label pairs by label frequency
    ratio: float | None
    excess: float
    ratio_ci: tuple[float, float] | None = None  # 95% bootstrap interval over items; None without one

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {**self.__dict__, "ratio_ci": list(self.ratio_ci) if self.ratio_ci else None}


@dataclass(frozen=True)
class SegmentRow:
    """Alpha, percent and gold accuracy of one task for one value of a segment (cohort, version)."""

    task: str
    value: str
    annotations: int
    annotators: int
    alpha: float | None
    alpha_reason: str | None
    percent: float | None
    gold_n: int
    gold_accuracy: float | None
    gold_ci: tuple[float, float] | None

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {**self.__dict__, "gold_ci": list(self.gold_ci) if self.gold_ci else None}


@dataclass(frozen=True)
class ReleaseRow:
    """One task's alpha before and after one guideline release."""

    task: str
    date: date
    change: ReleaseChange

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict: task and ISO date, then the change's fields."""
        return {"task": self.task, "date": self.date.isoformat(), **self.change.to_json()}


@dataclass(frozen=True)
class Alert:
    """A drift signal phrased for a lead, with what ranks it."""

    annotator: str
    task: str
    day: date
    rule: str
    source: str
    value: float
    limit: float
    n: int
    text: str
    severity: float

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {**self.__dict__, "day": self.day.isoformat()}


@dataclass(frozen=True)
class Headline:
    """The first lines a lead reads: alpha with band and trend, gold accuracy, volume, top alerts."""

    alpha: float | None
    alpha_reason: str | None
    alpha_band: str | None
    alpha_previous: float | None
    trend: str | None  # "up" | "down" | "flat" | None without a previous window
    gold_accuracy: float | None
    gold_ci: tuple[float, float] | None
    gold_n: int
    annotations: int
    alerts: list[str]
    # Tasks whose alpha is not in `alpha` (n/a, e.g. a span task), each {task, reason}.
    alpha_left_out: list[dict[str, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {**self.__dict__, "gold_ci": list(self.gold_ci) if self.gold_ci else None}


@dataclass(frozen=True)
class Settings:
    """The choices behind the coefficients ([reports] min_pairable and ordinal_weights in the config)."""

    min_pairable: int = MIN_PAIRABLE  # fewer pairable items (co-labelled, for a pair) than this: n/a
    ordinal_weights: str = "quadratic"  # Cohen's kappa on ordinal scales: "linear" or "quadratic"

    def __post_init__(self) -> None:
        if (
            not isinstance(self.min_pairable, int)
            or isinstance(self.min_pairable, bool)
            or self.min_pairable < 1
        ):
            raise ValueError(f"min_pairable must be a whole number >= 1, got {self.min_pairable!r}")
        if self.ordinal_weights not in ORDINAL_WEIGHTS:
            raise ValueError(
                f"ordinal_weights must be one of {', '.join(ORDINAL_WEIGHTS)}, got {self.ordinal_weights!r}"
            )

    def to_json(self) -> dict[str, Any]:
        """As the digest JSON's `settings`."""
        return {"min_pairable": self.min_pairable, "ordinal_weights": self.ordinal_weights}


ORDINAL_WEIGHTS = ("linear", "quadratic")


@dataclass(frozen=True)
class Digest:
    """Everything the renderers need; `to_json()` is the contract."""

    project: str
    window: Window
    counts: Counts
    headline: Headline
    tasks: list[TaskAgreement]
    annotators: list[AnnotatorRow]
    pairs: list[PairRow]
    confusions: list[Confusion]
    drift: list[Alert]
    drift_points: list[dict[str, Any]]  # chart points of flagged annotators only
    segments: dict[str, list[SegmentRow]]
    releases: list[ReleaseRow]
    throughput: dict[str, Any]
    guideline: dict[str, Any]
    sections: dict[str, Any]  # registry sections: name -> JSON value or None
    section_reasons: dict[str, str]
    section_titles: dict[str, str]
    settings: Settings = field(default_factory=Settings)

    def to_json(self) -> dict[str, Any]:
        """The JSON contract (docs/digest.md): plain dicts, lists, numbers, strings and nulls."""
        return {
            "version": 1,
            "project": self.project,
            "window": self.window.to_json(),
            "settings": self.settings.to_json(),
            "counts": self.counts.to_json(),
            "headline": self.headline.to_json(),
            "tasks": [t.to_json() for t in self.tasks],
            "annotators": [a.to_json() for a in self.annotators],
            "pairs": [p.to_json() for p in self.pairs],
            "confusions": [c.to_json() for c in self.confusions],
            "drift": [a.to_json() for a in self.drift],
            "drift_points": self.drift_points,
            "segments": {by: [r.to_json() for r in rows] for by, rows in self.segments.items()},
            "releases": [r.to_json() for r in self.releases],
            "throughput": self.throughput,
            "guideline": self.guideline,
            **self.sections,
            "section_reasons": self.section_reasons,
            "section_titles": self.section_titles,
        }
