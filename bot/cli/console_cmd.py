"""`annobot console`: a local REPL that answers like the Slack bot, without Slack."""

from __future__ import annotations

import click

from bot.cli.state import CliState


@click.command("console")
@click.option(
    "--wait",
    type=click.FloatRange(0.5, 120),
    default=15.0,
    show_default=True,
    help="Seconds to wait for the bot's answer to each line.",
)
@click.pass_obj
def console(state: CliState, wait: float) -> None:
    """Try the bot in the terminal: type slash commands, pick buttons by number.

    Runs the Slack app's own listeners against a local stand-in for Slack (loopback only, no
    tokens needed) and the configured database, so publish guidelines first.

    Example:

    \b
      annobot guidelines publish examples/guidelines/*/v*
      annobot console
      annobot> /guide sarcasm
      annobot> 1
    """
    from bot.console import run_console

    run_console(state.config, state.engine(), wait=wait)
