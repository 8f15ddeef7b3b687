"""Drift signals phrased as a lead acts on them, and ranked so the three most important come first."""

from __future__ import annotations

from reports.digest.model import Alert
from reports.formatters import ci, pct, short_day
from reports.metrics import DriftAlert, wilson_interval
from reports.metrics.drift import CUSUM_RULE, P_RULE

WHAT = {"gold": "gold accuracy", "consensus": "agreement with the others' majority"}


def phrase(alert: DriftAlert, task: str | None = None) -> str:
    """E.g. 'ann-07: gold accuracy fell to 71% (95% CI 62–79%) on 18 Nov, below the control limit'."""
    what = WHAT.get(alert.source, alert.source)
    where = f" on {task}" if task else ""
    if alert.rule == P_RULE:
        correct = round((1 - alert.value) * alert.n)
        lo, hi = wilson_interval(correct, alert.n)
        return (
            f"{alert.annotator}: {what}{where} fell to {pct(1 - alert.value)} "
            f"(95% CI {ci((lo, hi))}, n={alert.n}) on {short_day(alert.day)}, "
            f"below the control limit ({pct(1 - alert.limit)})"
        )
    if alert.rule == CUSUM_RULE:
        parts = alert.parts or ((alert.source, alert.value, alert.limit, alert.n),)
        fell, before = [], []
        for k, (source, value, limit, n) in enumerate(parts):
            lo, hi = wilson_interval(round((1 - value) * n), n)
            # "gold accuracy on t fell to 72% (...) and agreement with the others' majority 70% (...)".
            verb = f"{where} fell to" if k == 0 else ""
            fell.append(f"{WHAT.get(source, source)}{verb} {pct(1 - value)} (95% CI {ci((lo, hi))}, n={n})")
            before.append(pct(1 - limit))
        return (
            f"{alert.annotator}: {' and '.join(fell)} in the days up to {short_day(alert.day)}, "
            f"against {' and '.join(before)} before (CUSUM)"
        )
    return (
        f"{alert.annotator}: {what}{where} has been sliding (EWMA {pct(1 - alert.value)}) "
        f"up to {short_day(alert.day)}, below its slow-drift limit ({pct(1 - alert.limit)})"
    )


def to_alert(alert: DriftAlert, task: str, name_task: bool) -> Alert:
    """A phrased, ranked alert; a p-chart or CUSUM signal outranks an EWMA one, then the larger excess."""
    severity = (1.0 if alert.rule in (P_RULE, CUSUM_RULE) else 0.0) + (alert.value - alert.limit)
    return Alert(
        annotator=alert.annotator,
        task=task,
        day=alert.day,
        rule=alert.rule,
        source=alert.source,
        value=alert.value,
        limit=alert.limit,
        n=alert.n,
        text=phrase(alert, task if name_task else None),
        severity=float(severity),
    )


def top_alerts(alerts: list[Alert], k: int = 3) -> list[str]:
    """The k most important alerts, one per annotator (their most severe, latest first on ties)."""
    best: dict[str, Alert] = {}
    for a in sorted(alerts, key=lambda a: (a.severity, a.day), reverse=True):
        best.setdefault(a.annotator, a)
    return [a.text for a in list(best.values())[:k]]
