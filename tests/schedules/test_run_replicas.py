"""Two real `annobot run` processes on one database, both running the scheduler: one post per run.

Each computes digests in one worker process. The schedule is due a minute before the processes start (they read the real clock), so each one's
first tick, at start-up, finds it due and races for it; SIGTERM then stops the schedulers and the bots.
"""

from __future__ import annotations

import os
import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine

from bot.fakeslack import FakeSlack
from tests.bot.helpers import free_port, start_annobot_run
from tests.schedules.delivery_support import CHANNEL, history, posts, seed


def test_two_bot_processes_post_a_due_digest_once(db_url: str, engine: Engine, tmp_path: Path) -> None:
    due = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=1)
    seed(db_url, tmp_path, due - timedelta(hours=20))
    config = tmp_path / "annobot.toml"
    config.write_text(
        "[slack]\nanswer_workers = 1\n\n[[digests]]\n"
        f'name = "daily"\nprojects = ["p"]\ntargets = ["{CHANNEL}"]\n'
        f'cron = "{due.minute} {due.hour} * * *"\ntimezone = "UTC"\ncharts = false\nhtml = false\n',
        encoding="utf-8",
    )
    with FakeSlack() as fake:
        env = {
            **os.environ,
            "ANNOBOT_DATABASE_URL": db_url,
            "ANNOBOT_CONFIG": str(config),
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_SIGNING_SECRET": "s3cret",
            "SLACK_API_URL": fake.url,
        }
        env.pop("SLACK_APP_TOKEN", None)
        procs = [start_annobot_run(env, free_port()) for _ in range(2)]
        try:
            fake.wait_for("chat.postMessage", timeout=20)
            time.sleep(3)  # both first ticks are done by now: a double would have arrived
            assert len(posts(fake)) == 1
        finally:
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
            codes = [proc.wait(timeout=20) for proc in procs]
            for proc in procs:
                if proc.stdout:
                    proc.stdout.close()
        assert codes == [0, 0]  # the schedulers stopped with the bots
    runs = [r for r in history(db_url, "--schedule", "daily") if r["status"] != "skipped"]
    [run] = runs
    assert run["status"] == "posted" and run["message_channel"] == CHANNEL
