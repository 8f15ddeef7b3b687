"""Day boundaries in the report's zone: the daily trend, drift days, throughput, releases and the window."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd

from reports.digest import TaskSpec, build_digest
from reports.digest.synthetic import synthetic
from tests.reports.test_drift import dropping, steady, team

ZONE = "Etc/GMT+5"  # UTC-5 all year (POSIX sign): local wall clock = UTC - 5 h, no DST to reason about
OFFSET = timedelta(hours=5)
SPECIES = ("cat", "dog", "bird", "fish", "other")


def _shifted(df: pd.DataFrame) -> pd.DataFrame:
    """The same annotations with UTC clocks reading what the zone's clocks read."""
    return df.assign(created_at=pd.to_datetime(df["created_at"], utc=True) - OFFSET)


def _without_window(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if k != "window"}


def test_a_digest_in_a_zone_is_the_utc_digest_of_its_local_clock() -> None:
    # Everything that depends on days (daily alpha, drift charts and alerts, throughput per day, the
    # release boundary) must come out as if the timestamps were the zone's wall clock read as UTC.
    df, gold = team(0, dropper=dropping, steady=steady)
    spec = {"t": TaskSpec(tuple("ABCDE"))}
    releases = [date(2025, 3, 20)]
    local = build_digest(df, gold, spec, None, release_dates=releases, n_boot=20, tz=ZONE).to_json()
    as_utc = build_digest(_shifted(df), gold, spec, None, release_dates=releases, n_boot=20).to_json()
    assert _without_window(local) == _without_window(as_utc)
    assert local["drift"] and local["releases"] and local["tasks"][0]["daily"]
    # Not vacuous: read in UTC, the same annotations fall on other days.
    utc = build_digest(df, gold, spec, None, release_dates=releases, n_boot=20).to_json()
    assert utc["tasks"][0]["daily"] != local["tasks"][0]["daily"]
    assert utc["throughput"]["per_day"] != local["throughput"]["per_day"]
    # The window is the local days covered, at local midnights, written with the zone's offset.
    first = pd.to_datetime(df["created_at"], utc=True).min().tz_convert(ZONE)
    assert local["window"]["start"] == f"{first.date().isoformat()}T00:00:00-05:00"
    assert as_utc["window"]["start"][:19] == local["window"]["start"][:19]


def test_an_explicit_window_and_baseline_in_a_zone() -> None:
    df, gold = synthetic(n_items=1500, annotators=8, seed=2, days=20)
    spec = {"species": TaskSpec(SPECIES)}
    start, end = (
        datetime(2026, 10, 8, 5, tzinfo=UTC),
        datetime(2026, 10, 15, 5, tzinfo=UTC),
    )  # local midnights
    ts = pd.to_datetime(df["created_at"], utc=True)
    before = df[ts < start]
    local = build_digest(
        df, gold, spec, (start, end), baseline=before, previous=before, n_boot=0, tz=ZONE
    ).to_json()
    shifted = _shifted(df)
    as_utc = build_digest(
        shifted,
        gold,
        spec,
        (start - OFFSET, end - OFFSET),
        baseline=_shifted(before),
        previous=_shifted(before),
        n_boot=0,
    ).to_json()
    assert _without_window(local) == _without_window(as_utc)
    assert local["window"] == {"start": "2026-10-08T00:00:00-05:00", "end": "2026-10-15T00:00:00-05:00"}
    assert local["tasks"][0]["daily"][0]["day"] == "2026-10-08"
    # A naive window is read in the zone.
    naive = build_digest(df, gold, spec, (datetime(2026, 10, 8), datetime(2026, 10, 15)), n_boot=0, tz=ZONE)
    assert naive.to_json()["counts"] == local["counts"]


def test_utc_is_the_default_and_changes_nothing() -> None:
    df, gold = team(1, dropper=dropping)
    spec = {"t": TaskSpec(tuple("ABCDE"))}
    default = build_digest(df, gold, spec, None, release_dates=[date(2025, 3, 20)], n_boot=20)
    explicit = build_digest(df, gold, spec, None, release_dates=[date(2025, 3, 20)], n_boot=20, tz="UTC")
    assert default.to_json() == explicit.to_json()
    assert default.window.to_json()["start"].endswith("T00:00:00+00:00")
