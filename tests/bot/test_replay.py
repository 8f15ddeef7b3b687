"""A signed command or interaction delivered twice inside the replay window acts once (both backends)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import OperationalError

from bot.slack.blocks.section_link import GUIDE_SHARE_SECTION, section_ref
from bot.slack.signing import WINDOW_S
from bot.store.db import session_scope
from bot.store.events import claim_request, prune_requests
from bot.store.models.slack import Lookup, SlackRequest
from tests.bot.helpers import Bot
from tests.support.slackreq import block_actions_body, event_body, slash_command_body

SHARE = section_ref("product-sentiment", "1.1.0", "sarcasm")


def _count(engine: Engine, model: type) -> int:
    with session_scope(engine) as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def test_replayed_command_acts_once(bot: Bot) -> None:
    body = slash_command_body("/guide", "sarcasm", response_url=bot.fake.response_url("once"))
    ts = int(time.time())
    first = bot.slack.send(body, timestamp=ts)
    assert first[0] == 200
    bot.fake.wait_for_response("once")
    for _ in range(3):
        status, _, text = bot.slack.send(body, timestamp=ts)  # same timestamp, same signature
        assert (status, text) == (200, "")
    time.sleep(0.5)  # a second answer would have arrived by now
    assert len(bot.fake.responses("once")) == 1
    assert _count(bot.engine, Lookup) == 1
    assert _count(bot.engine, SlackRequest) == 1


def test_replayed_interaction_acts_once(bot: Bot) -> None:
    body = block_actions_body(GUIDE_SHARE_SECTION, SHARE, channel_id="C777")
    ts = int(time.time())
    assert bot.slack.send(body, timestamp=ts)[0] == 200
    bot.fake.wait_for("chat.postMessage")
    status, _, text = bot.slack.send(body, timestamp=ts)
    assert (status, text) == (200, "")
    time.sleep(0.5)
    assert len(bot.fake.calls("chat.postMessage")) == 1


def test_concurrent_replays_act_once(bot: Bot) -> None:
    body = block_actions_body(GUIDE_SHARE_SECTION, SHARE, channel_id="C778")
    ts = int(time.time())
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda _: bot.slack.send(body, timestamp=ts), range(6)))
    assert all(r[0] == 200 for r in results)
    bot.fake.wait_for("chat.postMessage")
    time.sleep(0.5)
    assert len(bot.fake.calls("chat.postMessage")) == 1


def test_a_new_signature_acts_again(bot: Bot) -> None:
    # Slack signs each delivery anew: the same text sent again by the user is a new request.
    body = slash_command_body("/guide", "sarcasm", response_url=bot.fake.response_url("twice"))
    now = int(time.time())
    bot.slack.send(body, timestamp=now - 1)
    bot.slack.send(body, timestamp=now)
    bot.fake.wait_for_response("twice", count=2)
    assert _count(bot.engine, SlackRequest) == 2


def test_events_keep_their_own_dedupe(bot: Bot) -> None:
    event = {"type": "app_mention", "user": "U1", "text": "<@UBOT> sarcasm", "ts": "1.5", "channel": "C1"}
    body = event_body(event, "EvOwn")
    ts = int(time.time())
    bot.slack.send(body, timestamp=ts)
    bot.slack.send(body, timestamp=ts + 1)  # a retry: new signature, same event_id
    bot.fake.wait_for("chat.postMessage")
    time.sleep(0.3)
    assert len(bot.fake.calls("chat.postMessage")) == 1
    assert _count(bot.engine, SlackRequest) == 0


def test_old_keys_are_pruned(bot: Bot) -> None:
    old = datetime.now(UTC) - timedelta(seconds=WINDOW_S + 5)
    assert claim_request(bot.engine, "a" * 64, old)
    bot.slack.command("/guide", "sarcasm", response_url=bot.fake.response_url("p"))
    bot.fake.wait_for_response("p")
    with session_scope(bot.engine) as s:
        keys = list(s.scalars(select(SlackRequest.key)))
    assert len(keys) == 1 and keys != ["a" * 64]


def test_claim_and_prune_in_the_store(engine: Engine) -> None:
    now = datetime.now(UTC)
    assert claim_request(engine, "k1", now)
    assert not claim_request(engine, "k1", now)
    assert claim_request(engine, "k0", now - timedelta(seconds=WINDOW_S + 1))
    assert prune_requests(engine, now - timedelta(seconds=WINDOW_S)) == 1
    assert not claim_request(engine, "k1", now)
    assert claim_request(engine, "k0", now)


def test_a_claim_that_cannot_be_recorded_does_not_act(bot: Bot, monkeypatch: Any) -> None:
    # The claim is made after the ack; when the database refuses it, the user is told and nothing acts.
    import bot.slack.http as http

    def refuse(*_: object, **__: object) -> bool:
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(http, "claim_request", refuse)
    status, _, _ = bot.slack.command("/guide", "sarcasm", response_url=bot.fake.response_url("down"))
    assert status == 200
    [answer] = bot.fake.wait_for_response("down")
    assert "database is unavailable" in str(answer)
    assert _count(bot.engine, Lookup) == 0


def test_the_ack_does_not_wait_for_the_claim(bot: Bot, monkeypatch: Any) -> None:
    # On SQLite the claim waits for the file's one writer: it must not delay the ack.
    import threading

    import bot.slack.http as http

    release = threading.Event()
    real = http.claim_request

    def slow(*args: Any, **kwargs: Any) -> bool:
        release.wait(5)
        return real(*args, **kwargs)

    monkeypatch.setattr(http, "claim_request", slow)
    started = time.monotonic()
    status, _, _ = bot.slack.command("/guide", "sarcasm", response_url=bot.fake.response_url("slow"))
    acked_in = time.monotonic() - started
    release.set()
    assert status == 200
    assert acked_in < 4, f"the ack waited {acked_in:.1f} s for the claim"
    bot.fake.wait_for_response("slow")
