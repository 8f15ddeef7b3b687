"""Helpers for the bot scenario tests: publishing, config, timed signed client, payload digging."""

from __future__ import annotations

import dataclasses
import json
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from bot.config import Config, SlackConfig
from bot.server import BackgroundServer
from bot.store.db import session_scope
from bot.store.guidelines import publish
from guidelines.parse import load_guideline
from tests.support.fakeslack import FakeSlack
from tests.support.slackreq import SlackHttpClient

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "guidelines"
SECRET = "test-signing-secret"
# The 3-second rule with a wide margin: every request must be acked well within it.
ACK_BUDGET_S = 1.0


def publish_folder(engine: Engine, folder: Path) -> None:
    """Publish one guideline version folder."""
    with session_scope(engine) as session:
        publish(session, load_guideline(folder))


def publish_examples(engine: Engine) -> None:
    """Publish every example guideline, oldest version first."""
    for guideline in sorted(p for p in EXAMPLES.iterdir() if p.is_dir()):
        for version in sorted(guideline.glob("v*")):
            publish_folder(engine, version)


def bot_config(api_url: str) -> Config:
    """A Config as load_config would build it from SLACK_* environment variables."""
    return Config(
        slack=dataclasses.replace(
            # Answers in the request process; tests/bot/test_workers.py covers worker processes.
            SlackConfig(),
            api_url=api_url,
            bot_token="xoxb-test",
            signing_secret=SECRET,
            answer_workers=0,
        )
    )


class TimedClient(SlackHttpClient):
    """Signed requests that also check each HTTP answer came back within the ack budget."""

    def __init__(self, base_url: str, secret: str) -> None:
        super().__init__(base_url, secret)
        self.timings: list[float] = []

    def send(self, body: str, **kwargs: Any) -> tuple[int, dict[str, str], str]:
        start = time.perf_counter()
        result = super().send(body, **kwargs)
        elapsed = time.perf_counter() - start
        self.timings.append(elapsed)
        assert elapsed < ACK_BUDGET_S, f"acked after {elapsed:.3f} s"
        return result


@dataclass
class Bot:
    """Handles on the running bot."""

    fake: FakeSlack
    engine: Engine
    server: BackgroundServer
    port: int
    slack: TimedClient

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def get(self, path: str) -> tuple[int, Any]:
        """GET a path of the app; (status, decoded JSON)."""
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(self.base + path, timeout=5) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as err:
            with err:
                return err.code, json.loads(err.read())


def texts(obj: Any) -> str:
    """Every string value of "text" keys in a payload (blocks, views), one per line."""
    found: list[str] = []

    def walk(o: Any) -> None:
        if isinstance(o, dict):
            for k, v in o.items():
                if k == "text" and isinstance(v, str):
                    found.append(v)
                else:
                    walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)

    walk(obj)
    return "\n".join(found)


def buttons(blocks: list[dict[str, Any]], action_id: str) -> list[str]:
    """Values of the buttons with this action_id, in order."""
    out: list[str] = []

    def walk(o: Any) -> None:
        if isinstance(o, dict):
            if o.get("type") == "button" and o.get("action_id") == action_id:
                out.append(o.get("value"))
            for v in o.values():
                walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)

    walk(blocks)
    return out


def children(pid: int) -> set[int]:
    """Live child processes of `pid` (Linux /proc)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(stat.parent.name))
    return found


def alive(pids: set[int]) -> set[int]:
    """Those of `pids` still running (not zombies)."""
    running = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            running.add(pid)
    return running


def wait_gone(pids: set[int], timeout: float = 10) -> bool:
    """Wait until none of `pids` runs; False if some still do after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while alive(pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


# Loopback only: never a proxy from the environment.
LOOPBACK = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_annobot_run(
    env: dict[str, str], port: int, timeout: float = 90, args: tuple[str, ...] = ()
) -> subprocess.Popen[bytes]:
    """`annobot run --port PORT [ARGS…]` as a real process, returned once /healthz answers 200 (its
    output on failure). It serves once its workers are spawned and warm: seconds, more under load. The caller stops it (SIGTERM to test shutdown, kill to test a crash)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", "from bot.cli import main; main()", "run", "--port", str(port), *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + timeout
    while True:
        try:
            with LOOPBACK.open(f"http://127.0.0.1:{port}/healthz", timeout=2) as resp:
                assert resp.status == 200
                return proc
        except OSError:
            if proc.poll() is not None:
                raise AssertionError(
                    proc.stdout.read().decode() if proc.stdout else "annobot run exited"
                ) from None
            if time.monotonic() > deadline:
                proc.kill()
                raise AssertionError("annobot run did not come up") from None
            time.sleep(0.2)
