"""Weak annotators: gold accuracy or agreement with the others' majority significantly below the team's."""

from __future__ import annotations

from datetime import date

import numpy as np

from reports.digest.model import Alert
from reports.digest.slices import TaskSlice
from reports.formatters import pct
from reports.metrics import consensus_agreement
from reports.metrics.weak import below_team

WEAK_RULE = "below the team"
WHAT = {"gold": "gold", "consensus": "agreement with the others' majority"}


def phrase(annotator: str, source: str, ok: int, n: int, team_rate: float, p: float, task: str | None) -> str:
    """E.g. 'ann-03: gold 70% (n=40) vs team 90%: below the team, p=0.004 (Holm-adjusted)'."""
    where = f" on {task}" if task else ""
    return (
        f"{annotator}: {WHAT[source]}{where} {pct(ok / n)} (n={n}) vs team {pct(team_rate)}: "
        f"below the team, p={p:.2g} (Holm-adjusted)"
    )


def weak_alerts(
    annotators: list[str],
    counts: dict[str, tuple[np.ndarray, np.ndarray]],
    task: str,
    day: date,
    name_task: bool,
) -> list[Alert]:
    """Alerts for rows below the rest of the team; `counts[source] = (ok, n)` per annotator, one family."""
    sources = list(counts)
    ok = np.concatenate([counts[s][0] for s in sources])
    n = np.concatenate([counts[s][1] for s in sources])
    group = np.repeat(np.arange(len(sources)), len(annotators))
    res = below_team(ok, n, group, np.zeros(len(ok), dtype=np.int64))
    out = []
    for i in np.flatnonzero(res["flagged"]):
        source, name = sources[group[i]], annotators[i % len(annotators)]
        team_rate = res["rest_ok"][i] / res["rest_n"][i]
        rate = ok[i] / n[i]
        out.append(
            Alert(
                annotator=name,
                task=task,
                day=day,
                rule=WEAK_RULE,
                source=source,
                value=float(1 - rate),  # error rates, as every alert's value and limit
                limit=float(1 - team_rate),
                n=int(n[i]),
                text=phrase(
                    name,
                    source,
                    int(ok[i]),
                    int(n[i]),
                    team_rate,
                    float(res["p_adj"][i]),
                    task if name_task else None,
                ),
                # Below a drift signal of the same size: a level, not a change; the larger gap first.
                severity=float(0.5 + (team_rate - rate)),
            )
        )
    return out


def task_weak(part: TaskSlice, day: date, name_task: bool) -> list[Alert]:
    """One task's window: each annotator's gold and consensus agreement against the rest of the team."""
    enc, outcome = part.enc, part.outcome
    m = len(enc.annotators)
    cons = consensus_agreement(enc)
    counts = {
        "gold": (
            np.bincount(enc.annotator[outcome == 1], minlength=m),
            np.bincount(enc.annotator[outcome >= 0], minlength=m),
        ),
        "consensus": (cons["agreements"].to_numpy(), cons["n"].to_numpy()),
    }
    return weak_alerts([str(a) for a in enc.annotators], counts, part.task, day, name_task)
