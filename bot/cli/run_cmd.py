"""`annobot run`: the Slack bot in Socket Mode (SLACK_APP_TOKEN set) or HTTP mode."""

from __future__ import annotations

import signal
import sys
from datetime import timedelta
from types import FrameType

import click
from sqlalchemy import Engine

from bot.cli.state import CliState
from bot.config import Config
from bot.jobs.workers import Workers, make_workers


@click.command("run")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=None, help="HTTP port (default: [server] port, 3000)."
)
@click.option(
    "--digest-tick",
    type=click.IntRange(min=1),
    default=60,
    show_default=True,
    help="Seconds between digest scheduler ticks ([[digests]] and schedules added with /quality schedule).",
)
@click.pass_obj
def run(state: CliState, port: int | None, digest_tick: int) -> None:
    """Start the Slack bot: Socket Mode when SLACK_APP_TOKEN is set, else HTTP on /slack/events.

    Needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET in the environment.

    A scheduler posts the digests of [[digests]] and of schedules leads add with /quality schedule add
    (exactly once across replicas on one database).

    Example: SLACK_BOT_TOKEN=xoxb-... SLACK_SIGNING_SECRET=... annobot run --port 3000
    """
    from bot.hooks.label_studio import label_studio_wsgi
    from bot.scheduler import start_scheduler
    from bot.server import make_wsgi_app, serve
    from bot.slack.app import create_app, make_client

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
            engine, config, make_client(config), timedelta(seconds=digest_tick), workers
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
