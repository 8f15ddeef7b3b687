"""`annobot run` in HTTP mode: starts, serves /healthz and /slack/events, stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from sqlalchemy import Engine

from tests.bot.helpers import alive, children, publish_examples, texts, wait_gone
from tests.support.fakeslack import FakeSlack
from tests.support.slackreq import sign, slash_command_body

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_run_serves_http_mode(engine: Engine, db_url: str, fake: FakeSlack) -> None:
    publish_examples(engine)
    port = _free_port()
    env = {
        **os.environ,
        "ANNOBOT_DATABASE_URL": db_url,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "s3cret",
        "SLACK_API_URL": fake.url,
    }
    env.pop("SLACK_APP_TOKEN", None)
    env.pop("ANNOBOT_CONFIG", None)
    proc = subprocess.Popen(
        [sys.executable, "-c", "from bot.cli import main; main()", "run", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with opener.open(f"http://127.0.0.1:{port}/healthz", timeout=2) as resp:
                    assert resp.status == 200
                    break
            except OSError:
                assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
                assert time.monotonic() < deadline, "annobot run did not come up"
                time.sleep(0.2)
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
