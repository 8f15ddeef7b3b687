"""Shared pieces of the delivery tests: a project imported through the CLI, schedules, a retrying client."""

from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from slack_sdk import WebClient

from bot.config import Config, ReportsConfig
from bot.fakeslack import FakeSlack
from bot.slack.app import add_retry_handlers
from reports.schedule.model import Schedule, schedule_from_mapping
from tests.support.guidelines import mini, run_cli

LABELS = ["Positive", "Negative", "Neutral"]
ANNOTATORS = ["ann-1", "ann-2", "ann-3"]
CHANNEL = "C0DIGEST1"


def seed(
    db_url: str, folder: Path, first: datetime, items: int = 40, step: timedelta = timedelta(minutes=20)
) -> None:
    """Project `p` (guideline mini) with three annotators labelling `items` items from `first` on."""
    path = folder / "annotations.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["item_id", "annotator", "label", "created_at"])
        for i in range(items):
            for j, ann in enumerate(ANNOTATORS):
                label = LABELS[i % 3] if j < 2 or i % 4 else LABELS[(i + 1) % 3]
                w.writerow([f"r{i:03d}", ann, label, (first + i * step).isoformat()])
    for args in (
        ("guidelines", "publish", str(mini(folder))),
        ("projects", "add", "p", "--guideline", "mini"),
        ("import", "annotations", str(path), "--project", "p"),
    ):
        result = run_cli(db_url, *args)
        assert result.exit_code == 0, result.output


def schedule(**fields: Any) -> Schedule:
    """A weekday 09:00 Europe/Berlin schedule of project p to CHANNEL, without attachments by default."""
    data: dict[str, Any] = {
        "name": "morning",
        "projects": ["p"],
        "targets": [CHANNEL],
        "cron": "0 9 * * mon-fri",
        "timezone": "Europe/Berlin",
        "window": "1d",
        "charts": False,
        "html": False,
    }
    data.update(fields)
    return schedule_from_mapping(data)


def config(*schedules: Schedule, tz: str = "UTC") -> Config:
    """A config holding just these schedules."""
    return Config(reports=ReportsConfig(timezone=tz), digests=schedules)


def client(fake: FakeSlack) -> WebClient:
    """A client on the fake with the bot's bounded retry handlers (as make_client gives)."""
    c = fake.client()
    add_retry_handlers(c)
    return c


def history(db_url: str, *args: str) -> list[dict[str, Any]]:
    """`annobot digests history --json` as data."""
    result = run_cli(db_url, "digests", "history", "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def posts(fake: FakeSlack) -> list[Any]:
    """Digest messages Slack accepted (chat.postMessage calls outside a thread)."""
    return [c for c in fake.calls("chat.postMessage") if c.ok and "thread_ts" not in c.params]


def replies(fake: FakeSlack) -> list[Any]:
    """Thread replies Slack accepted (the per-annotator details under a digest)."""
    return [c for c in fake.calls("chat.postMessage") if c.ok and "thread_ts" in c.params]
