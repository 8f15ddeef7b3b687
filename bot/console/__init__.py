"""`annobot console`: try the bot in a terminal, through the same Bolt app and listeners as Slack.

`server` plays Slack (Web API and `response_url`s) on loopback with the one fake Slack of
`bot.fakeslack`, queueing what the app shows for rendering; `requests` builds signed Slack
request bodies, `session` drives the app built by `bot.slack.app.create_app`, `render` turns
Block Kit into terminal text with numbered buttons, and `repl` is the loop.
"""

from __future__ import annotations

import logging
import os

from rich.console import Console
from rich.text import Text
from sqlalchemy import Engine

from bot.config import Config
from bot.console.repl import Repl, readline_history, run
from bot.console.server import ConsoleSlack
from bot.console.session import DEFAULT_WAIT_SECONDS, ConsoleSession, build_app
from bot.store.db import session_scope
from bot.store.guidelines import list_guidelines

__all__ = ["run_console"]

# slack_sdk routes every request through $HTTP(S)_PROXY and ignores NO_PROXY; the console only
# talks to its own loopback server, which a proxy could not reach.
_PROXY_VARS = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")


def _banner(console: Console, engine: Engine, command: str) -> None:
    with session_scope(engine) as session:
        published = list_guidelines(session)
    console.print(Text("annobot console — the Slack bot's own handlers, answered here.", style="bold"))
    if published:
        names = ", ".join(f"{g.slug} v{g.current_version}" for g in published)
        console.print(Text(f"Guidelines: {names}", style="dim"))
    else:
        console.print(
            Text("No guidelines published yet: run `annobot guidelines publish DIR` first.", style="yellow")
        )
    console.print(Text(f"Try `{command} sarcasm`; `help` lists commands, `quit` leaves.", style="dim"))


def run_console(
    config: Config, engine: Engine, *, console: Console | None = None, wait: float = DEFAULT_WAIT_SECONDS
) -> None:
    """Start the console Slack server and the app, then run the REPL until quit."""
    console = console or Console()
    for name in _PROXY_VARS:
        os.environ.pop(name, None)
    # Bolt warns about unhandled requests with a code suggestion; the REPL says it in one line.
    # Errors (with tracebacks) still reach stderr.
    logging.getLogger("annobot.slack").setLevel(logging.ERROR)
    secret = ConsoleSession.new_secret()
    with ConsoleSlack() as slack:
        app = build_app(config, slack, secret, engine)
        session = ConsoleSession(app, slack, secret, wait=wait)
        _banner(console, engine, config.slack.command)
        with readline_history():
            run(Repl(session, console, config.slack.command))
