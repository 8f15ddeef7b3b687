"""lead_zones and the per-lead `since-last` read on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from bot.store import lead_zones
from bot.store import schedules as runs
from bot.store.db import session_scope

NOW = datetime(2027, 3, 1, 8, tzinfo=UTC)


def test_zones_are_saved_replaced_postponed_and_read_in_one_go(engine: Engine) -> None:
    with session_scope(engine) as session:
        assert lead_zones.read(session, []) == {}
        lead_zones.save(session, "U1", "America/New_York", True, NOW, NOW + timedelta(hours=24))
        lead_zones.save(session, "U2", None, False, NOW, NOW + timedelta(hours=24))
        lead_zones.postpone(session, "U3", NOW, NOW + timedelta(hours=1))  # nothing cached: no zone
    later = NOW + timedelta(days=1)
    with session_scope(engine) as session:
        lead_zones.postpone(session, "U1", later, later + timedelta(hours=1))  # keeps New York
        lead_zones.save(session, "U2", "Europe/Berlin", True, later, later + timedelta(hours=24))
    with session_scope(engine) as session:
        got = lead_zones.read(session, ["U1", "U2", "U3", "U4", "U1"])
    assert got == {
        "U1": lead_zones.Zone("U1", "America/New_York", True, later + timedelta(hours=1)),
        "U2": lead_zones.Zone("U2", "Europe/Berlin", True, later + timedelta(hours=24)),
        "U3": lead_zones.Zone("U3", None, True, NOW + timedelta(hours=1)),
    }


def test_latest_posted_due_is_the_leads_own_and_ignores_unposted_runs(engine: Engine) -> None:
    lease = timedelta(minutes=10)
    with session_scope(engine) as session:
        for days, user, post in ((0, "U1", True), (1, "U1", False), (1, "U2", True), (2, "U1_", True)):
            due = NOW + timedelta(days=days)
            key = f"m@{due:%Y-%m-%dT%H:%MZ}/dm:{user}"
            runs.claim(session, key, "a", due, lease, schedule="m", due=due)
            if post:
                runs.mark_posted(session, key, due, "D1", f"{days}.0")
    with session_scope(engine) as session:
        found = runs.latest_posted_due(session, "m", NOW + timedelta(days=3), "/dm:U1")
        assert found == NOW  # day 1 failed to post; "U1_" is another user (the _ is no wildcard)
        assert runs.latest_posted_due(session, "m", NOW, "/dm:U1") is None
        assert runs.latest_posted_due(session, "other", NOW + timedelta(days=3), "/dm:U1") is None
