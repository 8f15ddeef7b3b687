"""`annobot digests post SCHEDULE [--dry-run]`: the schedule's digest now, or its messages as JSON.

The CLI reads the real clock: the project's annotations lie in the last day, so a 7-day window ending now
holds them all, as `annobot digest --window 7d` does.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner, Result
from sqlalchemy import Engine

from bot.cli import cli
from bot.fakeslack import FakeSlack
from bot.jobs.schedule import is_on_demand, post_now, tick
from bot.slack.digest.builder import digest_message
from tests.schedules.delivery_support import CHANNEL, client, config, history, posts, schedule, seed
from tests.support.guidelines import run_cli

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
CONFIG = f"""
[[digests]]
name = "morning"
projects = ["p"]
targets = ["{CHANNEL}"]
cron = "0 9 * * mon-fri"
timezone = "UTC"
window = "7d"
charts = false
html = false
"""


def _dateless(value: object) -> str:
    return _DATE.sub("DATE", json.dumps(value, sort_keys=True))


def _annobot(db_url: str, fake: FakeSlack, path: Path, *args: str) -> Result:
    """`annobot --config PATH ARGS` with a bot token and the fake's API URL in the environment."""
    env = {
        "ANNOBOT_DATABASE_URL": db_url,
        "ANNOBOT_CONFIG": None,
        "SLACK_API_URL": fake.url,
        "SLACK_BOT_TOKEN": "xoxb-test",
    }
    return CliRunner().invoke(cli, ["--config", str(path), *args], env=env, catch_exceptions=False)


def test_dry_run_prints_the_messages_and_posts_nothing(db_url: str, engine: Engine, tmp_path: Path) -> None:
    seed(db_url, tmp_path, datetime.now(UTC) - timedelta(hours=20))
    path = tmp_path / "annobot.toml"
    path.write_text(CONFIG, encoding="utf-8")
    with FakeSlack() as fake:
        result = _annobot(db_url, fake, path, "digests", "post", "morning", "--dry-run")
        assert result.exit_code == 0, result.output
        [message] = json.loads(result.output)
        assert fake.calls("chat.postMessage") == [] and fake.requests() == []
    assert (message["project"], message["channels"]) == ("p", [CHANNEL])
    assert isinstance(message["text"], str) and isinstance(message["blocks"], list)
    cli_json = run_cli(db_url, "digest", "--project", "p", "--window", "7d", "--format", "json")
    expected = digest_message(json.loads(cli_json.output))
    assert _dateless(message["blocks"]) == _dateless(expected["blocks"])
    assert history(db_url) == []  # a preview records no run


def test_post_posts_once_under_an_on_demand_key(db_url: str, engine: Engine, tmp_path: Path) -> None:
    seed(db_url, tmp_path, datetime.now(UTC) - timedelta(hours=20))
    path = tmp_path / "annobot.toml"
    path.write_text(CONFIG, encoding="utf-8")
    with FakeSlack() as fake:
        result = _annobot(db_url, fake, path, "digests", "post", "morning")
        assert result.exit_code == 0, result.output
        [post] = posts(fake)
    assert post.params["channel"] == CHANNEL and "Quality digest for p" in post.params["text"]
    [run] = history(db_url)
    assert run["status"] == "posted" and is_on_demand(run["run_key"])
    assert run["run_key"] in result.output


def test_an_unknown_schedule_is_named(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "annobot.toml"
    path.write_text(CONFIG, encoding="utf-8")
    with FakeSlack() as fake:
        result = _annobot(db_url, fake, path, "digests", "post", "evening", "--dry-run")
        assert fake.requests() == []
    assert result.exit_code == 2 and "evening" in result.output and "morning" in result.output


def test_an_on_demand_post_never_blocks_the_scheduled_run(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    due = datetime(2027, 3, 22, 8, tzinfo=UTC)  # Monday 09:00 Europe/Berlin
    seed(db_url, tmp_path, datetime(2027, 3, 21, 9, tzinfo=UTC))
    cfg = config(schedule(window="since-last"))
    with FakeSlack() as fake:
        slack = client(fake)
        asked = post_now(engine, cfg, slack, "morning", due - timedelta(minutes=30), "cli")
        assert len(asked.posted) == 1 and is_on_demand(asked.posted[0])
        done = tick(engine, cfg, slack, due + timedelta(seconds=30), "replica-a")
        assert done.posted == ["morning@2027-03-22T08:00Z"]
        on_demand, scheduled = posts(fake)
    # since-last reads from the last scheduled post, not from the on-demand one: the same digest.
    assert _dateless(scheduled.param_json("blocks")) == _dateless(on_demand.param_json("blocks"))
    assert {r["status"] for r in history(db_url)} == {"posted"}
