"""[reports] timezone on the real path: a CSV imported into the store, then the digest JSON, both backends."""

from __future__ import annotations

import csv
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.jobs.digest import DigestRequest, digest_job
from bot.store.db import make_engine
from tests.conftest import EXAMPLES
from tests.digest_e2e.test_digest_cli import _ok, _write_data
from tests.support.guidelines import mini, run_cli

LABELS = ["Positive", "Negative", "Neutral"]
ANNOTATORS = ["ann-1", "ann-2", "ann-3"]
NEW_YORK = "America/New_York"
# 02:00 UTC on 3 Nov 2026 is 21:00 on 2 Nov in New York (EST, UTC-5): the previous local day.
EARLY = datetime(2026, 11, 3, 2, tzinfo=UTC)
LATE = datetime(2026, 11, 3, 15, tzinfo=UTC)  # 10:00 on 3 Nov in New York
EARLY_ITEMS, LATE_ITEMS = 30, 20


def _csv(folder: Path) -> Path:
    path = folder / "annotations.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["item_id", "annotator", "label", "created_at"])
        for i in range(EARLY_ITEMS + LATE_ITEMS):
            at = (EARLY if i < EARLY_ITEMS else LATE) + timedelta(minutes=i)
            for j, ann in enumerate(ANNOTATORS):
                label = LABELS[i % 3] if j < 2 or i % 4 else LABELS[(i + 1) % 3]
                w.writerow([f"r{i:02d}", ann, label, at.isoformat()])
    return path


def _config(folder: Path, timezone: str | None) -> Path:
    path = folder / f"annobot-{(timezone or 'none').replace('/', '-')}.toml"
    path.write_text("" if timezone is None else f'[reports]\ntimezone = "{timezone}"\n', encoding="utf-8")
    return path


@pytest.fixture
def store(db_url: str, tmp_path: Path) -> str:
    """A project whose annotations were imported from a CSV through the CLI."""
    for args in (
        ("guidelines", "publish", str(mini(tmp_path))),
        ("projects", "add", "p", "--guideline", "mini"),
        ("import", "annotations", str(_csv(tmp_path)), "--project", "p"),
    ):
        result = run_cli(db_url, *args)
        assert result.exit_code == 0, result.output
    return db_url


def _digest(db_url: str, config: Path, *args: str) -> str:
    result = run_cli(db_url, "--config", str(config), "digest", "--project", "p", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return result.output


def _days(series: list[dict]) -> list[tuple[str, int]]:  # type: ignore[type-arg]
    return [(d["day"], d["annotations"]) for d in series]


def test_new_york_puts_0200_utc_on_the_previous_local_day(store: str, tmp_path: Path) -> None:
    d = json.loads(_digest(store, _config(tmp_path, NEW_YORK), "--all"))
    early, late = EARLY_ITEMS * 3, LATE_ITEMS * 3
    assert _days(d["tasks"][0]["daily"]) == [("2026-11-02", early), ("2026-11-03", late)]
    assert _days(d["throughput"]["per_day"]) == [("2026-11-02", early), ("2026-11-03", late)]
    assert d["window"] == {"start": "2026-11-02T00:00:00-05:00", "end": "2026-11-04T00:00:00-05:00"}
    assert d["counts"]["annotations"] == early + late


def test_utc_changes_nothing(store: str, tmp_path: Path) -> None:
    default = _digest(store, _config(tmp_path, None), "--all")
    utc = _digest(store, _config(tmp_path, "UTC"), "--all")
    assert utc == default  # byte for byte
    d = json.loads(utc)
    assert _days(d["tasks"][0]["daily"]) == [("2026-11-03", (EARLY_ITEMS + LATE_ITEMS) * 3)]
    assert d["window"] == {"start": "2026-11-03T00:00:00+00:00", "end": "2026-11-04T00:00:00+00:00"}


def test_the_job_reads_a_window_of_local_days(store: str) -> None:
    zone = ZoneInfo(NEW_YORK)
    generated = datetime(2026, 11, 4, 12, tzinfo=UTC)
    engine = make_engine(store)
    try:

        def run(fmt: str, tz: str, start: datetime) -> str:
            end = start + timedelta(days=1)
            return digest_job(engine, DigestRequest("p", start, end, fmt, generated, tz))  # type: ignore[arg-type]

        # 3 Nov in New York starts at 05:00 UTC: the 02:00 UTC annotations belong to 2 Nov there.
        local = json.loads(run("json", NEW_YORK, datetime(2026, 11, 3, tzinfo=zone)))
        assert local["counts"]["annotations"] == LATE_ITEMS * 3
        assert local["window"] == {"start": "2026-11-03T00:00:00-05:00", "end": "2026-11-04T00:00:00-05:00"}
        utc = json.loads(run("json", "UTC", datetime(2026, 11, 3, tzinfo=UTC)))
        assert utc["counts"]["annotations"] == (EARLY_ITEMS + LATE_ITEMS) * 3
        # Reports print the caller's generation time, in the report's zone.
        assert "generated 2026-11-04 07:00 EST" in run(
            "markdown", NEW_YORK, datetime(2026, 11, 3, tzinfo=zone)
        )
        assert "generated 2026-11-04 12:00 UTC" in run("html", "UTC", datetime(2026, 11, 3, tzinfo=UTC))
    finally:
        engine.dispose()


@pytest.mark.parametrize("timezone", [NEW_YORK, "UTC"])
def test_daily_series_of_the_cli_data_are_its_local_days(db_url: str, tmp_path: Path, timezone: str) -> None:
    # The issue-5 data (hourly from 09:00 UTC over four days) against days computed from the CSV itself.
    _ok(db_url, "guidelines", "publish", *sorted(str(p) for p in EXAMPLES.glob("product-sentiment/v*")))
    _ok(db_url, "projects", "add", "reviews", "--guideline", "product-sentiment")
    ann_path, _, _, _ = _write_data(tmp_path)
    _ok(db_url, "import", "annotations", str(ann_path), "--project", "reviews")
    config = _config(tmp_path, timezone)
    out = _ok(db_url, "--config", str(config), "digest", "--project", "reviews", "--all", "--format", "json")
    with ann_path.open(encoding="utf-8") as f:
        stamps = [datetime.fromisoformat(row["created_at"]) for row in csv.DictReader(f)]
    expected = Counter(t.astimezone(ZoneInfo(timezone)).date().isoformat() for t in stamps)
    d = json.loads(out)
    assert _days(d["tasks"][0]["daily"]) == sorted(expected.items())
    assert _days(d["throughput"]["per_day"]) == sorted(expected.items())
