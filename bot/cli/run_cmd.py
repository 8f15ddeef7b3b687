"""`annobot run`: the Slack bot in Socket Mode (SLACK_APP_TOKEN set) or HTTP mode."""

from __future__ import annotations

import math
import signal
import sys
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Any

import click
from sqlalchemy import Engine

from bot.cli.state import CliState
from bot.config import Config
from bot.jobs.workers import Workers, make_workers

# Faster than this, a 10-minute lease is under a second of real time: a drill would test the machine.
MAX_CLOCK_SPEED = 3600.0
MIN_CLOCK_SPEED = 0.01


class Moment(click.ParamType):
    """An ISO 8601 date and time; without an offset it is UTC."""

    name = "ISO8601"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        """The aware datetime, or click's usage error (exit 2) naming the option."""
        if isinstance(value, datetime):
            moment = value
        else:
            try:
                moment = datetime.fromisoformat(str(value).strip())
            except ValueError:
                self.fail(f"not an ISO 8601 date and time: {value!r}", param, ctx)
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _a_number(ctx: click.Context, param: click.Parameter, value: float) -> float:
    # FloatRange lets "nan" through (every comparison with it is false).
    if math.isnan(value):
        raise click.BadParameter("not a number: nan", ctx, param)
    return value


@click.command("run")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=None, help="HTTP port (default: [server] port, 3000)."
)
@click.option(
    "--digest-tick",
    type=click.IntRange(min=1),
    default=60,
    show_default=True,
    help="Seconds between digest scheduler ticks ([[digests]] and schedules added with /quality schedule),"
    " on the scheduler's clock: with --clock-speed N a tick comes every SECONDS/N real seconds.",
)
@click.option(
    "--clock-start",
    type=Moment(),
    default=None,
    help="Drills and tests only: the digest scheduler's clock reads this ISO 8601 time (no offset: UTC)"
    " at --clock-anchor, instead of the real time.",
)
@click.option(
    "--clock-anchor",
    type=Moment(),
    default=None,
    help="Drills and tests only: the real instant at which the clock reads --clock-start (default: start-up);"
    " replicas given the same start, anchor and speed share one simulated clock.",
)
@click.option(
    "--clock-speed",
    type=click.FloatRange(min=MIN_CLOCK_SPEED, max=MAX_CLOCK_SPEED),
    callback=_a_number,
    default=1.0,
    show_default=True,
    help="Drills and tests only: simulated seconds per real second of the digest scheduler's clock"
    " (its leases and catch-up too).",
)
@click.pass_obj
def run(
    state: CliState,
    port: int | None,
    digest_tick: int,
    clock_start: datetime | None,
    clock_anchor: datetime | None,
    clock_speed: float,
) -> None:
    """Start the Slack bot: Socket Mode when SLACK_APP_TOKEN is set, else HTTP on /slack/events.

    Needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET in the environment.

    A scheduler posts the digests of [[digests]] and of schedules leads add with /quality schedule add
    (exactly once across replicas on one database).

    Example: SLACK_BOT_TOKEN=xoxb-... SLACK_SIGNING_SECRET=... annobot run --port 3000

    The --clock-* options put the digest scheduler on a simulated clock, for rehearsing a schedule
    (an hour of runs in half a minute) and for the replica tests; Slack requests keep real time.
    """
    from bot.hooks.label_studio import label_studio_wsgi
    from bot.scheduler import scheduler_clock, start_scheduler
    from bot.server import make_wsgi_app, serve
    from bot.slack.app import create_app, make_client

    try:
        clock = scheduler_clock(clock_start, clock_anchor, clock_speed)
        clock()
    except OverflowError:
        raise click.BadParameter(
            "puts the simulated clock outside the years 1 to 9999",
            param_hint="'--clock-start'/'--clock-anchor'",
        ) from None
    config = state.config
    engine = state.engine()
    # Not started yet: a configuration error in create_app stops start-up before any process spawns.
    workers = run_workers(config, engine)
    scheduler = None
    try:
        app = create_app(config, engine=engine, workers=workers)
        # SIGTERM (systemd, docker stop, Kubernetes) unwinds like Ctrl-C, so the workers are closed.
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
        # Spawn the workers before the first request, so that no early answer waits for them.
        workers.start()
        # The digest scheduler beside the Slack handler: ticks on its own thread, digests in the workers.
        scheduler = start_scheduler(
            engine, config, make_client(config), timedelta(seconds=digest_tick / clock_speed), workers, clock
        )
        if config.slack.app_token:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            click.echo("annobot: Socket Mode (SLACK_APP_TOKEN is set)")
            SocketModeHandler(app, config.slack.app_token).start()
            return
        port = config.server.port if port is None else port
        click.echo(
            f"annobot: HTTP mode on http://{config.server.host}:{port}/slack/events"
            " (+ /healthz, /hooks/label-studio/)"
        )
        hooks = {"/hooks/label-studio": label_studio_wsgi(engine, config)}
        serve(make_wsgi_app(app, engine, mounts=hooks), config.server.host, port)
    finally:
        if scheduler is not None:
            scheduler.stop()
        workers.close()


def run_workers(config: Config, engine: Engine) -> Workers:
    """The workers `annobot run` serves with: as many processes as `[slack] answer_workers` says."""
    return make_workers(engine, config.slack.answer_workers)


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    sys.exit(0)
