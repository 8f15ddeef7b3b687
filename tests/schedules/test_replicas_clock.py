"""Two real `annobot run` processes on one PostgreSQL database, on one simulated clock (issue 14).

Both run the digest scheduler with `--clock-start/--clock-anchor/--clock-speed` (a simulated minute
is half a real second, the 10-minute lease five), each with its own bot token so that the fake Slack
can tell their posts apart and hold one's. Over 50 per-minute periods each run is posted once; the
replica that claims the 20th is SIGKILLed while the fake holds its post, and the other one posts
that period once, after the lease.

A digest fires at most 24 times a day, so the per-minute runs come from six schedules (09:00-10:59 of
one Monday, three per hour); the 50 periods counted start two minutes after both processes are up,
however long start-up took (seconds, on a loaded machine: minutes of simulated time), and the runs due
before that were posted or skipped by whoever was up. The processes compute digests in the
scheduler's thread (`answer_workers = 0`): a fresh worker process spends seconds importing on its
first digest, which would make the timing, not the claims, the subject (tests/schedules/
test_run_replicas.py covers the worker processes).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from bot.fakeslack import FakeSlack
from bot.jobs.schedule import METADATA_EVENT
from bot.scheduler import SimulatedClock
from tests.bot.helpers import free_port, start_annobot_run
from tests.schedules.delivery_support import CHANNEL, history, posts, seed

# pg_engine empties the PostgreSQL database first (its fixture is in tests/schedules/conftest.py).
pytestmark = pytest.mark.postgres

FIRST = datetime(2027, 3, 22, 9, tzinfo=UTC)  # a Monday
SPEED = 120.0
PERIODS = 50
KILLED = 19  # the 20th period counted
WARM_UP = timedelta(minutes=2)
# Minutes of each hour, per schedule: at most 24 runs a day each.
PARTS = {"a": range(0, 24), "b": range(24, 48), "c": range(48, 60)}
HOURS = (9, 10)
TOKENS = ("xoxb-replica-a", "xoxb-replica-b")
# Real seconds between ticks differ (and do not divide a period), so which replica sees a run first varies.
TICKS = {TOKENS[0]: 13, TOKENS[1]: 17}


def _run_key(due: datetime) -> str:
    part = next(name for name, minutes in PARTS.items() if due.minute in minutes)
    return f"h{due.hour}{part}@{due:%Y-%m-%dT%H:%MZ}"


def _config(folder: Path) -> Path:
    path = folder / "annobot.toml"
    tables = "".join(
        f'\n[[digests]]\nname = "h{hour}{part}"\nprojects = ["p"]\ntargets = ["{CHANNEL}"]\n'
        f'cron = "{minutes[0]}-{minutes[-1]} {hour} * * mon"\ntimezone = "UTC"\ncharts = false\nhtml = false\n'
        for hour in HOURS
        for part, minutes in PARTS.items()
    )
    path.write_text("[slack]\nanswer_workers = 0\n" + tables, encoding="utf-8")
    return path


def _env(db_url: str, config: Path, fake: FakeSlack, token: str) -> dict[str, str]:
    env = {
        **os.environ,
        "ANNOBOT_DATABASE_URL": db_url,
        "ANNOBOT_CONFIG": str(config),
        "SLACK_BOT_TOKEN": token,
        "SLACK_SIGNING_SECRET": "s3cret",
        "SLACK_API_URL": fake.url,
    }
    env.pop("SLACK_APP_TOKEN", None)
    return env


@contextmanager
def _replicas(
    db_url: str, config: Path, fake: FakeSlack, clock: SimulatedClock, outputs: dict[str, list[str]]
) -> Iterator[dict[str, subprocess.Popen[bytes]]]:
    """The two processes (by token), started side by side on `clock`, their output read into `outputs`;
    killed if still running at the end."""

    def start(token: str) -> subprocess.Popen[bytes]:
        args = (
            *("--clock-start", clock.start.isoformat(), "--clock-anchor", clock.anchor.isoformat()),
            *("--clock-speed", str(clock.speed), "--digest-tick", str(TICKS[token])),
        )
        return start_annobot_run(_env(db_url, config, fake, token), free_port(), 60, args)

    with ThreadPoolExecutor(len(TOKENS)) as pool:
        procs = dict(zip(TOKENS, pool.map(start, TOKENS), strict=True))
    # Read their output as it comes: a full pipe would block a process's logging, and so its scheduler.
    for token, proc in procs.items():
        threading.Thread(target=_drain, args=(proc, outputs.setdefault(token, [])), daemon=True).start()
    try:
        yield procs
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=10)
            if proc.stdout:
                proc.stdout.close()


def _drain(proc: subprocess.Popen[bytes], lines: list[str]) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line.decode(errors="replace"))


def _key_of(params: dict[str, Any]) -> str | None:
    """The run key in a chat.postMessage's metadata (None for a thread reply)."""
    metadata = params.get("metadata")
    metadata = json.loads(metadata) if isinstance(metadata, str) else metadata
    if "thread_ts" in params or not metadata or metadata.get("event_type") != METADATA_EVENT:
        return None
    return str(metadata["event_payload"]["run_key"])


def _pid(run: dict[str, Any]) -> int:
    return int(run["claimed_by"].split(":")[1])  # replica ids are host:pid:suffix


def _sleep_until(clock: SimulatedClock, moment: datetime) -> None:
    time.sleep(max(0.0, (moment - clock()).total_seconds() / clock.speed))


def test_two_replicas_post_each_of_50_periods_once_and_one_killed_mid_claim_is_taken_over(
    pg_url: str, pg_engine: Engine, tmp_path: Path
) -> None:
    # Annotations weeks before: each run posts the one "no annotations since" line, so what is timed is
    # the claims and posts, not the digest's figures (tests/schedules/test_tick*.py check those).
    seed(pg_url, tmp_path, FIRST - timedelta(days=30), items=2)
    config = _config(tmp_path)
    clock = SimulatedClock(FIRST, datetime.now(UTC), SPEED)
    killed: dict[str, str | None] = {"key": None}
    with FakeSlack(clock=clock) as fake:
        # Whoever claims the killed period has its digest post held: it never reaches Slack.
        held = fake.hold(
            "chat.postMessage",
            when=lambda p: killed["key"] is not None and _key_of(p) == killed["key"],
            times=1,
        )
        outputs: dict[str, list[str]] = {}
        with _replicas(pg_url, config, fake, clock, outputs) as procs:
            up = clock()
            first = up.replace(second=0, microsecond=0) + timedelta(minutes=1) + WARM_UP
            periods = [first + timedelta(minutes=i) for i in range(PERIODS)]
            assert periods[-1] <= FIRST.replace(hour=HOURS[-1], minute=59), f"start-up took until {up}"
            killed["key"] = _run_key(periods[KILLED])
            [request] = held.wait(timeout=(periods[KILLED] - clock()).total_seconds() / SPEED + 20)
            victim = procs[request.token]
            [survivor_token] = set(procs) - {request.token}
            victim.send_signal(signal.SIGKILL)
            assert victim.wait(timeout=10) == -signal.SIGKILL
            [claim] = [r for r in history(pg_url, "--limit", "500") if r["run_key"] == killed["key"]]
            assert (claim["status"], _pid(claim), claim["attempts"]) == ("claimed", victim.pid, 1)
            _sleep_until(clock, periods[-1] + timedelta(minutes=1))
            survivor = procs[survivor_token]
            survivor.send_signal(signal.SIGTERM)  # it stops its scheduler, finishing a running tick
            code = survivor.wait(timeout=20)
            log = "".join(outputs[survivor_token])
            assert code == 0, log
        digests = posts(fake)
        lookups = fake.calls("conversations.history")
    keys = Counter(_key_of(call.params) for call in digests)
    assert None not in keys  # every digest carries its run key
    assert max(keys.values()) == 1, [k for k, n in keys.items() if n > 1]  # never a double, in any run
    wanted = {_run_key(due) for due in periods}
    runs = {r["run_key"]: r for r in history(pg_url, "--limit", "500")}
    assert wanted <= set(keys), ([runs.get(k) for k in sorted(wanted - set(keys))], killed, log[-4000:])
    assert {runs[k]["status"] for k in wanted} == {"posted"}, {k: runs.get(k) for k in wanted}
    ts = {_key_of(call.params): call.reply["ts"] for call in digests}
    assert {k: runs[k]["message_ts"] for k in wanted} == {k: ts[k] for k in wanted}
    # Both replicas ran the scheduler: before the kill, each posted some of the periods.
    before = Counter(_pid(runs[_run_key(due)]) for due in periods[:KILLED])
    assert set(before) == {victim.pid, survivor.pid}, before
    # The killed period: posted once, by the survivor, after the victim's lease, on the second attempt,
    # once a look in the channel's history (the one lookup of the whole run) found no post of it.
    [post] = [call for call in digests if _key_of(call.params) == killed["key"]]
    assert post.headers["authorization"] == f"Bearer {survivor_token}"
    taken = runs[killed["key"]]
    assert (taken["status"], taken["attempts"], _pid(taken)) == ("posted", 2, survivor.pid)
    assert taken["claimed_at"] >= claim["lease_until"]
    [lookup] = lookups
    assert lookup.headers["authorization"] == f"Bearer {survivor_token}"
    assert lookup.params["include_all_metadata"] == "1"
    assert float(lookup.params["oldest"]) <= periods[KILLED].timestamp()
