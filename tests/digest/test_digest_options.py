"""The digest's edge: window parsing in the report's zone, saved report names, [reports] config, dispatch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.cli.digest_cmd import parse_window
from bot.config import ReportsConfig, load_config
from bot.errors import ConfigError, InputError
from bot.jobs.digest import FORMATS, SUFFIXES, chart_dir_for, render, report_name
from reports.digest import build_digest
from tests.digest.conftest import GENERATED

NOW = datetime(2026, 11, 2, 12, 30, tzinfo=UTC)
NEW_YORK = ZoneInfo("America/New_York")


def test_utc_windows_are_as_before() -> None:
    assert parse_window(None, None, True, NOW) == (None, None)
    start, end = parse_window("2026-10-20", None, False, NOW)
    assert start == datetime(2026, 10, 20, tzinfo=UTC) and end == NOW
    assert start.isoformat() == "2026-10-20T00:00:00+00:00" and end.isoformat() == NOW.isoformat()
    assert parse_window(None, None, False, NOW) == (NOW - timedelta(days=7), NOW)
    assert parse_window(None, "12h", False, NOW) == (NOW - timedelta(hours=12), NOW)
    with pytest.raises(InputError, match="exclude each other"):
        parse_window("2026-10-20", "7d", False, NOW)


def test_a_naive_since_is_local_midnight_in_the_zone() -> None:
    start, end = parse_window("2026-10-20", None, False, NOW, "America/New_York")
    assert start.isoformat() == "2026-10-20T00:00:00-04:00"  # EDT until 1 Nov 2026
    assert end.isoformat() == "2026-11-02T07:30:00-05:00"  # now, on New York's clock
    aware, _ = parse_window("2026-10-20T00:00:00+00:00", None, False, NOW, "America/New_York")
    assert aware == datetime(2026, 10, 20, tzinfo=UTC)  # an offset given is kept as that instant


def test_a_window_across_a_dst_change_is_elapsed_time() -> None:
    start, end = parse_window(None, "7d", False, NOW, "America/New_York")
    # (Python subtracts datetimes of one zone by wall clock: compare the instants.)
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(days=7)  # 1 Nov 2026 has 25 hours
    assert start.utcoffset() == timedelta(hours=-4) and end.utcoffset() == timedelta(hours=-5)


def test_saved_report_names() -> None:
    assert report_name("reviews-q4", "html", NOW) == "reviews-q4-2026-11-02-1230.html"
    assert report_name("reviews-q4", "markdown", NOW, "America/New_York") == "reviews-q4-2026-11-02-0730.md"
    assert report_name("a/b c", "blocks", NOW) == "a-b-c-2026-11-02-1230.blocks.json"
    assert report_name("..", "json", NOW) == "digest-2026-11-02-1230.json"
    assert set(SUFFIXES) == set(FORMATS)
    assert chart_dir_for(Path("out/weekly.md"), "markdown") == Path("out/weekly-charts")
    assert chart_dir_for(Path("out/weekly.html"), "html") is None


def test_reports_config(tmp_path: Path) -> None:
    assert load_config(None, env={}).reports == ReportsConfig(Path("reports-out"), "UTC")
    path = tmp_path / "annobot.toml"
    path.write_text('[reports]\noutput_dir = "out"\ntimezone = "America/New_York"\n', encoding="utf-8")
    reports = load_config(path, env={}).reports
    assert reports.output_dir == tmp_path / "out" and reports.timezone == "America/New_York"
    for bad in ('"Mars/Olympus"', '"../etc/passwd"', '""', '"utc"'):
        path.write_text(f"[reports]\ntimezone = {bad}\n", encoding="utf-8")
        with pytest.raises(ConfigError, match=r"'reports\.timezone' must be an IANA time zone name"):
            load_config(path, env={})
    path.write_text("[reports]\ntimezone = 5\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="must be str"):
        load_config(path, env={})


def test_dispatch_needs_the_generation_time_for_reports(data, specs) -> None:  # type: ignore[no-untyped-def]
    df, gold = data
    digest = build_digest(df, gold, specs, None, n_boot=0)
    for fmt in ("markdown", "html"):
        with pytest.raises(ValueError, match="pass generated="):
            render(digest, fmt)  # type: ignore[arg-type]
    assert "generated 2026-11-20 07:30 UTC" in render(digest, "markdown", generated=GENERATED)
    local = GENERATED.astimezone(NEW_YORK)
    assert "generated 2026-11-20 02:30 EST" in render(digest, "html", generated=local)
    with pytest.raises(
        ValueError, match="unknown format 'pdf': expected one of json, markdown, html, blocks"
    ):
        render(digest, "pdf")  # type: ignore[arg-type]
