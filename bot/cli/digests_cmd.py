"""`annobot digests history`: the runs of the scheduled digests (bot/store/schedules.py), newest first;
`annobot digests post`: a schedule's digest now (bot/jobs/schedule.py `post_now`), or its preview.

A group of its own, not `annobot digest history`: `annobot digest` is a command whose `--project` is
required, and a group under that name would turn `annobot digest history` into an ambiguity with its
options (and its `--help` into a group's); `digests` is the plural of the `[[digests]]` tables.
"""

from __future__ import annotations

import os
import socket
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import click

from bot.cli import one_line
from bot.cli.output import emit_json
from bot.cli.state import CliState
from bot.errors import AnnobotError, ConflictError, InputError
from bot.store.schedules import Run, list_runs
from reports.schedule.model import NAME

HEADER = (
    "due (UTC)",
    "schedule",
    "status",
    "late",
    "claimed by",
    "attempts",
    "posted at",
    "message",
    "reason",
)


@click.group()
def digests() -> None:
    """Scheduled digests ([[digests]] in the config): post one now, the history of their runs."""


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat(timespec="seconds")


def run_json(run: Run) -> dict[str, Any]:
    """A run as JSON: datetimes ISO 8601 in UTC, None as null."""
    data = asdict(run)
    for key in ("due", "claimed_at", "lease_until", "posted_at"):
        data[key] = _iso(data[key])
    return data


@digests.command("history")
@click.option("--schedule", "name", help="Only this schedule's runs (its `name` in [[digests]]).")
@click.option(
    "--limit", type=click.IntRange(min=1), default=100, show_default=True, help="At most this many runs."
)
@click.option("--json", "as_json", is_flag=True, help="Print the runs as JSON.")
@click.pass_obj
def history(state: CliState, name: str | None, limit: int, as_json: bool) -> None:
    """List runs, newest due first: due, status (posted, late-posted, skipped, failed, claimed), late, who
    claimed it, attempts, when posted, the message (channel and ts), the reason of a skip or failure.

    Example: annobot digests history --schedule morning --json
    """
    if name is not None and not NAME.fullmatch(name):
        # No schedule can have it (names are slugs); PostgreSQL would refuse a NUL in it besides.
        raise InputError(f"--schedule: not a schedule name (a slug of a-z, 0-9, _ and -), got {name!r}")
    with state.session() as session:
        runs = list_runs(session, name, limit=limit)
    if as_json:
        emit_json([run_json(r) for r in runs])
        return
    if not runs:
        click.echo("no digest runs recorded" + (f" for schedule {name!r}" if name else ""))
        return
    click.echo("\t".join(HEADER))
    for r in runs:
        message = f"{r.message_channel}/{r.message_ts}" if r.message_ts else "-"
        fields = (
            _iso(r.due) or "-",
            r.schedule,
            r.status,
            "late" if r.late else "-",
            r.claimed_by or "-",
            str(r.attempts),
            _iso(r.posted_at) or "-",
            message,
            r.reason or "-",
        )
        # Reasons quote Slack's answers: one line each, control characters shown as escapes.
        click.echo("\t".join(one_line(f) for f in fields))


@digests.command("post")
@click.argument("schedule")
@click.option("--dry-run", is_flag=True, help="Print the messages as JSON (text and blocks); post nothing.")
@click.pass_obj
def post(state: CliState, schedule: str, dry_run: bool) -> None:
    """Post SCHEDULE's digest now, as its scheduled run would (window ending now, same channels, charts).

    Recorded in the history under an on-demand run key (`NAME@…/on-demand`), so the scheduled run still
    posts. --dry-run prints a JSON list, one message per project: project, channels, text, blocks.

    Example: annobot digests post morning --dry-run
    """
    from bot.jobs.schedule import post_now, preview

    now = datetime.now(UTC)
    if dry_run:
        emit_json(preview(state.engine(), state.config, schedule, now))
        return
    from bot.slack.app import make_client

    config = state.config
    client = make_client(config)  # before any store work: a missing token stops here
    replica = f"cli:{socket.gethostname()}:{os.getpid()}"
    done = post_now(state.engine(), config, client, schedule, now, replica)
    if done.failed:
        raise AnnobotError(f"digest run {done.failed[0]} failed: see `annobot digests history`")
    if done.skipped:
        raise AnnobotError(f"digest run {done.skipped[0]} was skipped: see `annobot digests history`")
    if not done.posted:
        raise ConflictError(f"schedule {schedule!r}: nothing was posted (the run is already claimed)")
    click.echo(f"posted {done.posted[0]}")
