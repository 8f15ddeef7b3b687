"""`annobot run` in HTTP mode: starts, serves /healthz and /slack/events, stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import urllib.request

from sqlalchemy import Engine

from tests.bot.helpers import (
    LOOPBACK,
    alive,
    children,
    free_port,
    start_annobot_run,
    texts,
    wait_gone,
)
from tests.support.fakeslack import FakeSlack
from tests.support.published import examples_published
from tests.support.slackreq import sign, slash_command_body


def test_run_serves_http_mode(engine: Engine, db_url: str, fake: FakeSlack) -> None:
    examples_published(engine)
    port = free_port()
    env = {
        **os.environ,
        "ANNOBOT_DATABASE_URL": db_url,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "s3cret",
        "SLACK_API_URL": fake.url,
    }
    env.pop("SLACK_APP_TOKEN", None)
    env.pop("ANNOBOT_CONFIG", None)
    proc = start_annobot_run(env, port)
    opener = LOOPBACK
    try:
        # A signed /guide is answered (by the worker processes `annobot run` starts).
        body = slash_command_body("/guide", "sarcasm", response_url=fake.response_url("run"))
        answered = urllib.request.Request(
            f"http://127.0.0.1:{port}/slack/events",
            data=body.encode(),
            headers=sign("s3cret", body),
            method="POST",
        )
        with opener.open(answered, timeout=5) as resp:
            assert resp.status == 200
        [call] = fake.wait_for_response("run")
        assert "Sarcasm and irony" in texts(call.params["blocks"])

        body = slash_command_body("/guide", "help")
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/slack/events",
            data=body.encode(),
            headers=sign("wrong-secret", body),
            method="POST",
        )
        try:
            opener.open(request, timeout=5)
            raise AssertionError("a forged request was accepted")
        except urllib.error.HTTPError as err:
            assert err.code == 401
        # The Label Studio webhook is mounted: without the project's secret it answers 401 (not 404).
        hook = urllib.request.Request(
            f"http://127.0.0.1:{port}/hooks/label-studio/reviews",
            data=b'{"action": "ANNOTATION_CREATED"}',
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            opener.open(hook, timeout=5)
            raise AssertionError("an unauthenticated webhook was accepted")
        except urllib.error.HTTPError as err:
            assert err.code == 401
        workers = children(proc.pid)
        assert workers, "annobot run started no answer worker processes"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()
    # SIGTERM closes the workers too: none is left behind.
    assert wait_gone(workers), f"worker processes left after SIGTERM: {sorted(alive(workers))}"
