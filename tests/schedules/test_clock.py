"""The digest scheduler's simulated clock (bot/scheduler.py) and `annobot run`'s --clock-* options."""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.scheduler import SimulatedClock, scheduler_clock
from tests.support.guidelines import run_cli

START = datetime(2027, 3, 22, 8, 59, tzinfo=UTC)


def test_the_clock_reads_its_start_at_the_anchor_and_runs_speed_times_real_time() -> None:
    anchor = datetime.now(UTC) - timedelta(seconds=2)
    clock = SimulatedClock(START, anchor, 60.0)
    assert START + timedelta(minutes=2) <= clock() < START + timedelta(minutes=3)  # 2 s later: 2 minutes on
    # Replicas given the same start, anchor and speed read the same time.
    twin = SimulatedClock(START, anchor, 60.0)
    first, second = clock(), twin()
    assert abs(second - first) < timedelta(seconds=6)  # 0.1 s apart at most, times 60
    before = clock()
    time.sleep(0.05)
    assert clock() - before >= timedelta(seconds=3)  # 50 ms of real time: 3 simulated seconds


def test_the_clock_refuses_naive_times_and_a_speed_that_is_not_positive() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        SimulatedClock(START.replace(tzinfo=None), datetime.now(UTC))
    for speed in (0.0, -1.0, math.nan):
        with pytest.raises(ValueError, match="positive"):
            SimulatedClock(START, datetime.now(UTC), speed)


def test_annobot_run_keeps_the_real_clock_by_default() -> None:
    clock = scheduler_clock(None, None, 1.0)
    assert not isinstance(clock, SimulatedClock)
    assert abs(clock() - datetime.now(UTC)) < timedelta(seconds=1)
    simulated = scheduler_clock(START, None, 2.0)
    assert isinstance(simulated, SimulatedClock) and simulated.start == START and simulated.speed == 2.0
    assert abs(simulated.anchor - datetime.now(UTC)) < timedelta(seconds=1)  # anchored at start-up


def _not_iso(text: str) -> bool:
    try:
        datetime.fromisoformat(text.strip())
    except ValueError:
        return True
    return False


def _not_a_speed(text: str) -> bool:
    try:
        value = float(text)
    except ValueError:
        return True
    return not 0.01 <= value <= 3600


SETTINGS = settings(max_examples=40, deadline=None)


@SETTINGS
@given(text=st.text(min_size=1, max_size=30).filter(_not_iso))
@example(text="2027-03-22 09:00 Berlin")
@example(text="tomorrow")
def test_a_bad_clock_start_or_anchor_is_refused_naming_the_option(text: str) -> None:
    for option in ("--clock-start", "--clock-anchor"):
        result = run_cli("sqlite://", "run", option, text)
        assert result.exit_code == 2 and option in result.output, result.output


@SETTINGS
@given(
    text=st.one_of(
        st.floats(allow_nan=True).map(repr),
        st.text(min_size=1, max_size=12),
    ).filter(_not_a_speed)
)
@example(text="nan")
@example(text="0")
@example(text="1e-320")
@example(text="7200")
def test_a_bad_clock_speed_is_refused_naming_the_option(text: str) -> None:
    result = run_cli("sqlite://", "run", "--clock-speed", text)
    assert result.exit_code == 2 and "--clock-speed" in result.output, result.output


def test_a_clock_out_of_the_calendar_is_refused() -> None:
    result = run_cli(
        "sqlite://", "run", "--clock-start", "9999-12-31T00:00:00Z", "--clock-anchor", "2000-01-01T00:00:00Z"
    )
    assert result.exit_code == 2 and "--clock-start" in result.output and "9999" in result.output
