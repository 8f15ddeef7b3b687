"""`annobot run`: the Slack bot in Socket Mode (SLACK_APP_TOKEN set) or HTTP mode."""

from __future__ import annotations

import signal
import sys
from types import FrameType

import click

from bot.cli.state import CliState


@click.command("run")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=None, help="HTTP port (default: [server] port, 3000)."
)
@click.pass_obj
def run(state: CliState, port: int | None) -> None:
    """Start the Slack bot: Socket Mode when SLACK_APP_TOKEN is set, else HTTP on /slack/events.

    Needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET in the environment.

    Example: SLACK_BOT_TOKEN=xoxb-... SLACK_SIGNING_SECRET=... annobot run --port 3000
    """
    from bot.hooks.label_studio import label_studio_wsgi
    from bot.server import make_wsgi_app, serve
    from bot.slack.app import app_workers, create_app

    config = state.config
    engine = state.engine()
    app = create_app(config, engine=engine)
    # Spawn the answer workers before the first request, so that no early answer waits for them.
    workers = app_workers(app)
    workers.start()
    # SIGTERM (systemd, docker stop, Kubernetes) unwinds like Ctrl-C, so the workers are closed.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    # Seam for the scheduler (digests, a later issue): start it here, beside the Slack handler.
    if config.slack.app_token:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        click.echo("annobot: Socket Mode (SLACK_APP_TOKEN is set)")
        try:
            SocketModeHandler(app, config.slack.app_token).start()
        finally:
            workers.close()
        return
    port = config.server.port if port is None else port
    click.echo(
        f"annobot: HTTP mode on http://{config.server.host}:{port}/slack/events (+ /healthz, /hooks/label-studio/)"
    )
    hooks = {"/hooks/label-studio": label_studio_wsgi(engine, config)}
    try:
        serve(make_wsgi_app(app, engine, mounts=hooks), config.server.host, port)
    finally:
        workers.close()


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    sys.exit(0)
