"""Drift in the digest: a 90% -> 70% drop alerts on the day or the next; a steady annotator stays quiet."""

from __future__ import annotations

from datetime import timedelta

from reports.digest import TaskSpec, build_digest
from tests.reports.test_drift import SHIFT_DAY, START, dropping, steady, team

SPEC = {"t": TaskSpec(tuple("ABCDE"))}


def _digest(seed: int, **who):  # type: ignore[no-untyped-def]
    df, gold = team(seed, **who)
    return build_digest(df, gold, SPEC, None, n_boot=0).to_json()


def test_dropping_annotator_is_alerted_on_the_day_or_the_next() -> None:
    d = _digest(0, dropper=dropping, steady=steady)
    days = sorted(a["day"] for a in d["drift"] if a["annotator"] == "dropper")
    assert days
    shift = START + timedelta(days=SHIFT_DAY)
    assert days[0] in (shift.isoformat(), (shift + timedelta(days=1)).isoformat())
    assert not [a for a in d["drift"] if a["annotator"] == "steady"]
    # The lead's wording, first in the headline.
    first = d["headline"]["alerts"][0]
    assert first.startswith("dropper: gold accuracy fell to ")
    # The CUSUM's sentence (issue 13 item 10; was the p-chart's "below the control limit").
    assert "95% CI" in first and "against 90% before (CUSUM)" in first
    row = next(a for a in d["annotators"] if a["annotator"] == "dropper")
    assert row["alerts"]
    assert any(p["annotator"] == "dropper" for p in d["drift_points"])


def test_steady_annotator_false_alarm_rate_over_seeds() -> None:
    # docs/digest.md: p-chart + EWMA gave 2/100 seeds, 18/300 on seeds 0-299; the CUSUM (issue 13 item 10)
    # is measured in bench/alerts.py on daily digests. The bound stays at 10%.
    seeds = 100
    alarmed = sum(
        any(a["annotator"] == "steady" for a in _digest(seed, steady=steady)["drift"])
        for seed in range(seeds)
    )
    assert alarmed / seeds <= 0.10
