"""The scheduled message carries the figures of `annobot digest --format json` for the same window.

The CLI reads the real clock, so this test's schedule is due a minute ago in real time; the project's
annotations all lie in the window, none after its end, so the CLI's window (ending now) holds the same.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine

from bot.fakeslack import FakeSlack
from bot.jobs.schedule import tick
from bot.slack.digest.builder import digest_message
from tests.schedules.delivery_support import client, config, posts, schedule, seed
from tests.support.guidelines import run_cli

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _dateless(value: object) -> str:
    # The CLI's window ends now, the run's at its due instant a minute earlier: only the end date may
    # differ (around midnight), so dates are left out of the comparison; every figure stays in.
    return _DATE.sub("DATE", json.dumps(value, sort_keys=True))


def test_the_message_has_the_figures_of_the_cli_json(db_url: str, engine: Engine, tmp_path: Path) -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    due = now - timedelta(minutes=1)
    seed(db_url, tmp_path, due - timedelta(hours=20))  # 40 items over 13 h 20 min, all before `due`
    every_day = schedule(cron=f"{due.minute} {due.hour} * * *", timezone="UTC", working_days_only=False)
    with FakeSlack() as fake:
        done = tick(engine, config(every_day), client(fake), now + timedelta(seconds=5), "a")
        assert len(done.posted) == 1  # yesterday's run, beyond the grace, is skipped
        [post] = posts(fake)
    since = (due - timedelta(days=1)).isoformat()
    result = run_cli(db_url, "digest", "--project", "p", "--since", since, "--format", "json")
    assert result.exit_code == 0, result.output
    cli = json.loads(result.output)
    assert cli["counts"]["annotations"] == 120
    expected = digest_message(cli)
    assert _dateless(post.params["text"]) == _dateless(expected["text"])
    assert _dateless(post.param_json("blocks")) == _dateless(expected["blocks"])
    alpha = cli["headline"]["alpha"]
    assert alpha is not None and f"{alpha:.2f}" in post.params["text"]
