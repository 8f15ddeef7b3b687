"""The Post to channel claim (bot/store/digest_shares.py) on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from bot.store.db import session_scope
from bot.store.digest_shares import SHARE_LEASE, claim_share, record_share, release_share, share_key

NOW = datetime(2027, 3, 22, 9, tzinfo=UTC)
KEY = share_key("C1", "p", NOW - timedelta(days=1), NOW)


def _claim(engine: Engine, user: str, now: datetime) -> object:
    with session_scope(engine) as session:
        return claim_share(session, KEY, channel="C1", project="p", user=user, now=now)


def test_the_first_click_claims_later_ones_see_who_and_a_dead_claim_is_taken_over(engine: Engine) -> None:
    assert _claim(engine, "U1", NOW) is None
    held = _claim(engine, "U2", NOW + timedelta(seconds=1))
    assert (held.posted_by, held.claimed_at, held.message_ts) == ("U1", NOW, None)  # type: ignore[attr-defined]
    # U1's replica died before posting: after the lease the next click posts.
    assert _claim(engine, "U2", NOW + SHARE_LEASE + timedelta(seconds=1)) is None
    with session_scope(engine) as session:
        record_share(session, KEY, "1.2")
        release_share(session, KEY, "U2")  # a posted share is never released
    held = _claim(engine, "U3", NOW + 10 * SHARE_LEASE)
    assert (held.posted_by, held.message_ts) == ("U2", "1.2")  # type: ignore[attr-defined]


def test_a_refused_post_releases_only_its_own_claim(engine: Engine) -> None:
    assert _claim(engine, "U1", NOW) is None
    with session_scope(engine) as session:
        release_share(session, KEY, "U9")  # not U9's: kept
    assert _claim(engine, "U2", NOW) is not None
    with session_scope(engine) as session:
        release_share(session, KEY, "U1")
    assert _claim(engine, "U2", NOW) is None


def test_keys_differ_by_channel_project_and_window_and_ignore_the_zone_of_the_same_instant() -> None:
    start, end = NOW - timedelta(days=1), NOW
    keys = {
        share_key("C1", "p", start, end),
        share_key("C2", "p", start, end),
        share_key("C1", "q", start, end),
        share_key("C1", "p", start, end + timedelta(seconds=1)),
    }
    assert len(keys) == 4
    berlin = end.astimezone(ZoneInfo("Europe/Berlin"))
    assert share_key("C1", "p", start, berlin) == share_key("C1", "p", start, end)
