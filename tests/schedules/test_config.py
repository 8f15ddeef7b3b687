"""[[digests]] in the config: valid tables give schedules, anything else a ConfigError naming the key."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config import load_config
from bot.errors import ConfigError
from reports.schedule.due import due_times, skips_day
from reports.schedule.model import schedule_from_mapping

ROOT = Path(__file__).resolve().parents[2]


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    # Every character outside printable ASCII as a \U escape: arbitrary text stays one TOML string.
    body = "".join(c if " " <= c <= "~" and c not in '"\\' else f"\\U{ord(c):08X}" for c in str(value))
    return f'"{body}"'


def write(tmp_path: Path, *digests: dict[str, Any], head: str = "") -> Path:
    """A config file with these [[digests]] tables."""
    parts = [head]
    for d in digests:
        parts.append("[[digests]]")
        parts.extend(f"{k} = {_toml_value(v)}" for k, v in d.items())
    path = tmp_path / "annobot.toml"
    path.write_text("\n".join(parts) + "\n", encoding="utf-8")
    return path


GOOD = {"name": "morning", "projects": ["reviews"], "targets": ["C0123456789"], "cron": "0 9 * * mon-fri"}


def test_a_digest_table_becomes_a_schedule_with_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD, head='[reports]\ntimezone = "Europe/Paris"\n')
    [s] = load_config(path, env={}).digests
    assert (s.name, s.projects, s.targets, s.cron.expr) == (
        "morning",
        ("reviews",),
        ("C0123456789",),
        "0 9 * * mon-fri",
    )
    assert s.timezone == "Europe/Paris"  # the [reports] zone unless the digest names one
    assert (str(s.window), s.working_days_only, s.holidays, s.charts, s.html) == (
        "1d",
        False,
        None,
        True,
        True,
    )
    assert s.grace == timedelta(hours=6)


def test_the_example_config_digest_loads(tmp_path: Path) -> None:
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    example = text[text.index("# [[digests]]") : text.index("# Labeling projects")]
    lines = [ln[2:] for ln in example.splitlines() if ln.startswith("# ") and not ln.startswith("# #")]
    path = tmp_path / "example.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    [s] = load_config(path, env={}).digests
    assert (s.timezone, s.holidays, s.holidays_subdivision, s.working_days_only) == (
        "Europe/Berlin",
        "DE",
        "BY",
        True,
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"cron": "0 9 * *"}, "'digests[0].cron' must have 5 fields"),
        ({"timezone": "Mars/Olympus"}, "'digests[0].timezone' must be an IANA time zone"),
        ({"window": "3w"}, "'digests[0].window' must be like \"1d\""),
        ({"targets": ["#general"]}, "'digests[0].targets[0]' must be a channel id"),
        ({"targets": []}, "'digests[0].targets' must name at least one"),
        ({"projects": "reviews"}, "'digests[0].projects' must be list, got str"),
        ({"holidays": "XX"}, "'digests[0].holidays' 'XX' is not a country code"),
        (
            {"holidays": "DE", "holidays_subdivision": "ZZ"},
            "'digests[0].holidays_subdivision' 'ZZ' is not a subdivision of DE",
        ),
        ({"holidays_subdivision": "BY"}, "'digests[0].holidays_subdivision' needs 'holidays'"),
        ({"grace_hours": -1}, "'digests[0].grace_hours' must be a number of hours 0-168"),
        ({"charts": "yes"}, "'digests[0].charts' must be bool, got str"),
        ({"name": "Morning Digest"}, "'digests[0].name' must be a slug"),
        ({"colour": "blue"}, "'digests[0].colour' is not a schedule key"),
    ],
)
def test_a_bad_digest_key_is_named(tmp_path: Path, change: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=f"^{tmp_path}.*: " + re.escape(message)):
        load_config(write(tmp_path, {**GOOD, **change}), env={})


def test_a_missing_key_and_a_repeated_name_are_named(tmp_path: Path) -> None:
    without = {k: v for k, v in GOOD.items() if k != "cron"}
    with pytest.raises(ConfigError, match=r"'digests\[0\]\.cron' is required"):
        load_config(write(tmp_path, without), env={})
    with pytest.raises(ConfigError, match=r"'digests\[1\]\.name' 'morning' is used by another digest"):
        load_config(write(tmp_path, GOOD, GOOD), env={})


# --------------------------------------------------------------------------------------------------
# Properties: whatever a config file says, a schedule or one ConfigError naming the key.

_CRON_PART = st.one_of(
    st.sampled_from(["*", "*/15", "0", "9", "1-5", "mon-fri", "sun", "jan", "7", "0,30", "*/0", "5-1", "60"]),
    st.text(alphabet="0123456789*/-,abcdefjmnorstuwy", min_size=1, max_size=6),
)
_CRONS = st.one_of(
    st.lists(_CRON_PART, min_size=5, max_size=5).map(" ".join),
    st.lists(_CRON_PART, min_size=0, max_size=7).map(" ".join),
    st.text(max_size=30),
)
_ZONES = st.one_of(
    st.sampled_from(
        ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "Pacific/Chatham"]
    ),
    st.text(max_size=30),
)
_WINDOWS = st.one_of(
    st.sampled_from(["1d", "7d", "12h", "since-last", "0d", "9999d", "1w"]), st.text(max_size=8)
)
_ANY = st.one_of(
    st.text(max_size=10),
    st.integers(-5, 500),
    st.booleans(),
    st.floats(allow_nan=False),
    st.lists(st.text(max_size=5), max_size=3),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cron=_CRONS,
    zone=_ZONES,
    window=_WINDOWS,
    extra=st.dictionaries(
        st.sampled_from(
            [
                "working_days_only",
                "holidays",
                "holidays_subdivision",
                "charts",
                "html",
                "grace_hours",
                "targets",
                "name",
            ]
        ),
        _ANY,
        max_size=3,
    ),
)
def test_any_digest_table_gives_a_schedule_or_a_config_error_naming_the_key(
    tmp_path: Path, cron: str, zone: str, window: str, extra: dict[str, Any]
) -> None:
    table = {**GOOD, "cron": cron, "timezone": zone, "window": window, **extra}
    try:
        [s] = load_config(write(tmp_path, table), env={}).digests
    except ConfigError as exc:
        assert str(exc).startswith(f"{tmp_path}"), exc
        assert "'digests[0]." in str(exc), exc
        return
    assert s.cron.expr == " ".join(cron.lower().split())
    assert s.timezone == zone


_SCHEDULES = st.fixed_dictionaries(
    {
        "cron": st.sampled_from(
            [
                "0 9 * * mon-fri",
                "30 2 * * *",
                "0 */2 * * *",
                "15 7 1,15 * *",
                "0 0 * * sun",
                "45 23 * * *",
                "0 9 1 * mon",
            ]
        ),
        "timezone": st.sampled_from(
            [
                "UTC",
                "Europe/Berlin",
                "America/New_York",
                "Australia/Lord_Howe",
                "Pacific/Chatham",
                "Asia/Kathmandu",
            ]
        ),
        "working_days_only": st.booleans(),
        "holidays": st.sampled_from([None, "DE", "US", "FR"]),
    }
)


@settings(max_examples=200, deadline=None)
@given(
    fields=_SCHEDULES,
    after=st.datetimes(
        min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
    ),
    span=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=40)),
)
def test_due_times_increase_strictly_stay_in_range_and_never_fall_on_a_skipped_day(
    fields: dict[str, Any], after: datetime, span: timedelta
) -> None:
    table = {**GOOD, **{k: v for k, v in fields.items() if v is not None}}
    s = schedule_from_mapping(table)
    until = after + span
    dues = due_times(s, after, until)
    assert all(a < b for a, b in pairwise(dues))
    assert all(after < d <= until and d.tzinfo is UTC for d in dues)
    for d in dues:
        local = d.astimezone(s.zone)
        assert not skips_day(s, local.date())
        assert s.cron.matches(local.date()) or _shifted_by_a_gap(s, d)
        assert local.minute in s.cron.minutes or _shifted_by_a_gap(s, d)
    # Splitting the range anywhere gives the same instants: nothing depends on where a tick starts.
    middle = after + span / 2
    assert due_times(s, after, middle) + due_times(s, middle, until) == dues
    # At most the cron's times per local day (plus one day's worth at each edge).
    assert len(dues) <= len(s.cron.times()) * (math.ceil(span / timedelta(days=1)) + 2)


def _shifted_by_a_gap(s: Any, instant: datetime) -> bool:
    """Whether the local offset changed within the hour before `instant` (a time pushed out of a gap)."""
    before = (instant - timedelta(hours=3)).astimezone(s.zone).utcoffset()
    return before != instant.astimezone(s.zone).utcoffset()
