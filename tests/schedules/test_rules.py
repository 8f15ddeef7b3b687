"""Schedule rules (reports/schedule): due instants across daylight saving, skipped days, catch-up."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from reports.schedule.cron import parse_cron
from reports.schedule.due import Action, catch_up, due_times, run_key, window_start
from reports.schedule.errors import ScheduleError
from reports.schedule.model import Schedule, schedule_from_mapping

BERLIN = {
    "name": "morning",
    "projects": ["reviews"],
    "targets": ["C0123456789"],
    "cron": "0 9 * * mon-fri",
    "timezone": "Europe/Berlin",
    "holidays": "DE",
}


def schedule(**changes: Any) -> Schedule:
    """The weekday-morning Berlin schedule with some fields changed."""
    return schedule_from_mapping({**BERLIN, **changes})


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def test_weekdays_nine_in_berlin_fire_at_the_right_utc_instants_across_dst_skipping_weekend_and_holidays() -> (
    None
):
    # 2027: clocks go forward on Sunday 28 March; Good Friday is 26 March, Easter Monday 29 March.
    dues = due_times(schedule(), utc(2027, 3, 21), utc(2027, 4, 6))
    assert dues == (
        utc(2027, 3, 22, 8),  # Monday, winter time: 09:00 CET = 08:00 UTC
        utc(2027, 3, 23, 8),
        utc(2027, 3, 24, 8),
        utc(2027, 3, 25, 8),
        # 26 Good Friday (holiday), 27-28 weekend, 29 Easter Monday (holiday)
        utc(2027, 3, 30, 7),  # summer time: 09:00 CEST = 07:00 UTC
        utc(2027, 3, 31, 7),
        utc(2027, 4, 1, 7),
        utc(2027, 4, 2, 7),
        utc(2027, 4, 5, 7),  # a Monday again; 3-4 April weekend
    )
    # And back in autumn (31 October 2027): 07:00 UTC on Friday, 08:00 UTC on Monday.
    autumn = due_times(schedule(), utc(2027, 10, 29), utc(2027, 11, 2))
    assert autumn == (utc(2027, 10, 29, 7), utc(2027, 11, 1, 8))  # 1 Nov: no holiday in federal DE


def test_a_subdivision_holiday_counts_only_with_the_subdivision() -> None:
    # All Saints' Day (Monday 1 November 2027) is a holiday in Bavaria, not nationwide.
    assert due_times(schedule(holidays_subdivision="BY"), utc(2027, 10, 31), utc(2027, 11, 2)) == ()
    assert due_times(schedule(), utc(2027, 10, 31), utc(2027, 11, 2)) == (utc(2027, 11, 1, 8),)


def test_working_days_only_drops_weekends_even_when_the_cron_names_them() -> None:
    every_day = schedule(cron="0 9 * * *", holidays=None)
    week = (utc(2027, 6, 6), utc(2027, 6, 13))  # Sunday 6 June .. Sunday 13 June, 00:00 UTC
    assert len(due_times(every_day, *week)) == 7
    working = schedule_from_mapping({**BERLIN, "cron": "0 9 * * *", "working_days_only": True})
    weekdays = due_times(working, *week)
    assert [d.date() for d in weekdays] == [date(2027, 6, d) for d in (7, 8, 9, 10, 11)]


def test_a_local_time_skipped_by_spring_forward_is_due_shifted_by_the_gap_once() -> None:
    night = schedule(cron="30 2,3 * * *", holidays=None)
    # 28 March 2027: 02:30 does not exist; it is due at 03:30 CEST (01:30 UTC), the same instant as 03:30.
    assert due_times(night, utc(2027, 3, 27, 12), utc(2027, 3, 28, 12)) == (utc(2027, 3, 28, 1, 30),)


def test_a_local_time_repeated_by_fall_back_is_due_once_at_its_first_occurrence() -> None:
    night = schedule(cron="30 2 * * *", holidays=None)
    # 31 October 2027: 02:30 happens at 00:30 UTC (CEST) and again at 01:30 UTC (CET): once, the first.
    assert due_times(night, utc(2027, 10, 30, 12), utc(2027, 10, 31, 12)) == (utc(2027, 10, 31, 0, 30),)


def test_the_range_is_open_at_after_and_closed_at_until() -> None:
    s = schedule(holidays=None)
    nine = utc(2027, 6, 7, 7)
    assert due_times(s, nine, nine + timedelta(hours=1)) == ()
    assert due_times(s, nine - timedelta(seconds=1), nine) == (nine,)
    assert due_times(s, nine, nine) == ()


def test_naive_bounds_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        due_times(schedule(), datetime(2027, 1, 1), utc(2027, 1, 2))


def test_cron_reads_days_as_crontab_does() -> None:
    by_name, by_number = parse_cron("0 9 * * mon-fri"), parse_cron("0 9 * * 1-5")
    assert by_name.weekdays == by_number.weekdays == frozenset({1, 2, 3, 4, 5})
    assert parse_cron("0 9 * * 7").weekdays == parse_cron("0 9 * * sun").weekdays == frozenset({0})
    # Both day fields restricted: either matches (the 1st of the month, and every Monday).
    either = parse_cron("0 9 1 * mon")
    assert either.matches(date(2027, 6, 1)) and either.matches(date(2027, 6, 7))
    assert not either.matches(date(2027, 6, 8))
    assert parse_cron("15,45 8-9 * jan,jul *").times() == ((8, 15), (8, 45), (9, 15), (9, 45))
    assert parse_cron("0 */6 * * *").hours == frozenset({0, 6, 12, 18})


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("0 9 * *", "must have 5 fields"),
        ("0 25 * * *", "hour field: 25 is outside 0-23"),
        ("0 9 * * funday", "day-of-week field: 'funday' is not a number"),
        ("*/1 * * * *", "fires 1440 times a day"),
        ("0 9 30 2 *", "never fires"),
        ("0 9 * * 5-1", "runs backwards"),
        ("0 9 * * */0", "at least 1"),
        ("0 9 ** * *", "cannot read"),
    ],
)
def test_bad_cron_expressions_say_what_is_wrong(expr: str, message: str) -> None:
    with pytest.raises(ScheduleError, match=message) as info:
        parse_cron(expr)
    assert info.value.key == "cron"


def test_run_key_names_the_schedule_and_the_utc_minute() -> None:
    s = schedule()
    berlin_nine = datetime(2027, 3, 22, 9, tzinfo=s.zone)
    assert run_key(s, berlin_nine) == "morning@2027-03-22T08:00Z"
    assert run_key(s, berlin_nine) == run_key(s, utc(2027, 3, 22, 8))


def test_catch_up_posts_on_time_late_within_grace_and_skips_beyond() -> None:
    s = schedule()  # grace 6 h
    due = utc(2027, 3, 22, 8)
    [on_time] = catch_up(s, [due], due + timedelta(minutes=2))
    assert on_time.action is Action.POST
    [late] = catch_up(s, [due], due + timedelta(hours=5, minutes=59))
    assert late.action is Action.POST_LATE and late.reason == "posted 5.98h late"
    [exactly] = catch_up(s, [due], due + timedelta(hours=6))
    assert exactly.action is Action.POST_LATE
    [skipped] = catch_up(s, [due], due + timedelta(hours=6, seconds=1))
    assert skipped.action is Action.SKIP and "beyond the grace of 6h" in (skipped.reason or "")
    assert catch_up(s, [due], due - timedelta(seconds=1)) == ()  # not due yet: not missed


def test_catch_up_posts_only_the_newest_of_several_missed_runs() -> None:
    s = schedule(cron="0 8,12 * * *", holidays=None)
    dues = due_times(s, utc(2027, 6, 6, 12), utc(2027, 6, 7, 11))  # 8:00 and 12:00 local = 06:00, 10:00 UTC
    assert dues == (utc(2027, 6, 7, 6), utc(2027, 6, 7, 10))
    decisions = catch_up(s, reversed(dues), utc(2027, 6, 7, 11))
    assert [d.action for d in decisions] == [Action.SKIP, Action.POST_LATE]
    assert decisions[0].reason == "superseded by the run due 2027-06-07 10:00 UTC"


def test_a_grace_of_zero_posts_only_on_time() -> None:
    s = schedule(grace_hours=0)
    due = utc(2027, 3, 22, 8)
    assert catch_up(s, [due], due + timedelta(minutes=1))[0].action is Action.POST
    assert catch_up(s, [due], due + timedelta(minutes=10))[0].action is Action.SKIP


def test_window_start_is_the_length_back_or_the_previous_run() -> None:
    due = utc(2027, 3, 22, 8)
    assert window_start(schedule(window="7d"), due, None) == due - timedelta(days=7)
    assert window_start(schedule(window="12h"), due, None) == due - timedelta(hours=12)
    since_last = schedule(window="since-last")
    assert window_start(since_last, due, utc(2027, 3, 19, 8)) == utc(2027, 3, 19, 8)
    assert window_start(since_last, due, None) is None
    assert str(since_last.window) == "since-last" and str(schedule(window="7d").window) == "7d"


def test_schedules_and_their_errors_pickle_for_worker_processes() -> None:
    import pickle

    s = schedule(window="since-last")
    assert pickle.loads(pickle.dumps(s)) == s
    assert pickle.loads(pickle.dumps(s)).zone.key == "Europe/Berlin"
    err = pickle.loads(pickle.dumps(ScheduleError("cron", "is bad")))
    assert (err.key, err.message, str(err)) == ("cron", "is bad", "'cron' is bad")
