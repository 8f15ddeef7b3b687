"""The one set of number formatters the templates, the Block Kit builder and alert sentences share."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from bot.slack.digest import builder
from reports import formatters as f
from reports.digest import alerts
from reports.render.env import environment


def test_values_and_na() -> None:
    assert (f.pct(0.713), f.pct(0.7134, 1), f.pct(None)) == ("71%", "71.3%", "n/a")
    assert (f.num(0.81234), f.num(12.5, 0), f.num(2.0, 2), f.num(None)) == ("0.812", "12", "2.00", "n/a")
    assert (f.signed(0.0421), f.signed(-0.1), f.signed(0.0), f.signed(None)) == (
        "+0.042",
        "-0.100",
        "+0.000",
        "n/a",
    )
    assert (f.count(12400), f.count(7)) == ("12,400", "7")
    assert (f.ci([0.62, 0.79]), f.ci((0.5, 1.0)), f.ci(None), f.ci([])) == ("62–79%", "50–100%", "", "")
    assert [f.arrow(t) for t in ("up", "down", "flat", None, "sideways")] == ["↑", "↓", "→", "", ""]
    assert f.short_day(date(2026, 11, 8)) == "8 Nov"
    assert f.md_cell("a|b\nc") == "a\\|b c"


def test_stamp_names_the_zone() -> None:
    t = datetime(2026, 11, 20, 7, 30, tzinfo=UTC)
    assert f.stamp(t) == "2026-11-20 07:30 UTC"
    assert f.stamp(t.astimezone(ZoneInfo("UTC"))) == "2026-11-20 07:30 UTC"
    assert f.stamp(t.astimezone(ZoneInfo("America/New_York"))) == "2026-11-20 02:30 EST"
    assert f.stamp(datetime(2026, 11, 20, 7, 30)) == "2026-11-20 07:30 UTC"  # naive: UTC


def test_every_renderer_uses_the_shared_module() -> None:
    filters = environment().filters
    for name, fn in {
        "pct": f.pct,
        "num": f.num,
        "signed": f.signed,
        "count": f.count,
        "ci": f.ci,
        "arrow": f.arrow,
        "md": f.md_cell,
    }.items():
        assert filters[name] is fn, name
    assert builder.pct is f.pct and builder.num is f.num and builder.arrow is f.arrow
    assert alerts.pct is f.pct and alerts.short_day is f.short_day and alerts.ci is f.ci
