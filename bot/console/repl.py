"""The console REPL: read a line, send it to the app as Slack would, render what comes back."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

from rich.console import Console
from rich.text import Text

from bot.console.render import Choice, Renderer
from bot.console.requests import CHANNEL_ID, CHANNEL_NAME
from bot.console.server import Delivery
from bot.console.session import ConsoleSession, Outcome, message_of

HISTORY_FILE = Path("~/.annobot_history")
HISTORY_LENGTH = 1000
PROMPT = "annobot> "
QUIT = frozenset({"quit", "exit", ":q"})


def help_text(command: str) -> str:
    """What the console understands."""
    return "\n".join(
        [
            f"  {command} QUERY            search the guidelines, e.g. {command} sarcasm",
            f"  {command} diff SLUG V1 V2  what changed between two versions",
            f"  {command} help             the bot's own help",
            "  @annobot QUESTION         mention the bot in the console channel",
            "  NUMBER                    click the button shown as [NUMBER]",
            "  help                      this list",
            "  quit, exit, Ctrl-D        leave",
            "Other /commands are sent as typed; the app answers 'no handler' for unknown ones.",
        ]
    )


@contextlib.contextmanager
def readline_history(path: Path = HISTORY_FILE) -> Iterator[None]:
    """Line editing and persistent history via the stdlib readline, when the platform has it."""
    try:
        import readline
    except ImportError:  # e.g. Windows without pyreadline: plain input() still works
        yield
        return
    path = path.expanduser()
    with contextlib.suppress(OSError):
        readline.read_history_file(path)
    readline.set_history_length(HISTORY_LENGTH)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            readline.write_history_file(path)


class Repl:
    """Turns typed lines into Slack requests and renders the outcome."""

    def __init__(self, session: ConsoleSession, console: Console, command: str = "/guide") -> None:
        """`command` is the configured slash command, used in help and examples."""
        self.session = session
        self.console = console
        self.command = command
        self.choices: list[Choice] = []

    def handle(self, line: str) -> bool:
        """Act on one line; False means leave."""
        line = line.strip()
        if not line:
            return True
        if line.lower() in QUIT:
            return False
        if line.lower() in ("help", "?"):
            self.console.print(Text(help_text(self.command)))
        elif line.isdigit():
            self._click(int(line))
        elif line.startswith("/"):
            command, _, text = line.partition(" ")
            self.show(self.session.command(command, text.strip()))
        elif line.startswith("@"):
            _, _, text = line.partition(" ")
            self.show(self.session.mention(text.strip()))
        else:
            self.console.print(
                Text(f"Type {self.command} QUERY, a choice number, help or quit.", style="yellow")
            )
        return True

    def _click(self, number: int) -> None:
        if not 1 <= number <= len(self.choices):
            shown = f"1-{len(self.choices)}" if self.choices else "none shown yet"
            self.console.print(Text(f"No choice [{number}] ({shown}).", style="yellow"))
            return
        choice = self.choices[number - 1]
        self.console.print(Text(f"→ {choice.label}", style="dim"))
        self.show(self.session.click(choice))

    def show(self, outcome: Outcome) -> None:
        """Render an outcome; its buttons, if any, become the current choices."""
        renderer = Renderer()
        if outcome.status == 401:
            self.console.print(Text("The app rejected the request's signature (401).", style="red"))
        elif outcome.status == 404:
            self.console.print(
                Text(f"The app has no handler for that (404). Try {self.command} help.", style="yellow")
            )
        elif outcome.status != 200:
            self.console.print(
                Text(f"The app answered HTTP {outcome.status}: {outcome.ack_body}", style="red")
            )
        elif outcome.ack_body.strip():
            self.console.print(Text(outcome.ack_body))
        for delivery in outcome.deliveries:
            self._delivery(renderer, delivery)
        if outcome.status == 200 and not outcome.deliveries and not outcome.ack_body.strip():
            self.console.print(Text(f"(no answer within {self.session.wait:g} s)", style="dim"))
        if renderer.choices:
            self.choices = renderer.choices

    def _delivery(self, renderer: Renderer, delivery: Delivery) -> None:
        message, is_view = message_of(delivery)
        self.console.rule(Text(_caption(delivery), style="dim"), style="dim", align="left")
        if delivery.payload.get("delete_original"):
            self.console.print(Text("(the original message was deleted)", style="dim"))
            return
        self.console.print(renderer.message(message, is_view))


def _caption(delivery: Delivery) -> str:
    payload = delivery.payload
    if delivery.kind == "response":
        seen = "in channel" if payload.get("response_type") == "in_channel" else "only visible to you"
        replaced = ", replaces the original" if payload.get("replace_original") is True else ""
        return f" annobot ({seen}{replaced}) "
    if delivery.method == "chat.postMessage":
        thread = " in a thread" if payload.get("thread_ts") else ""
        channel = payload.get("channel", "?")
        channel = CHANNEL_NAME if channel == CHANNEL_ID else channel
        return f" annobot posted in #{channel}{thread} "
    if delivery.method == "chat.postEphemeral":
        return " annobot (only visible to you) "
    if delivery.method.startswith("views."):
        return " annobot opened a modal "
    return f" annobot {delivery.method} "


def run(repl: Repl, read: Callable[[str], str] = input) -> None:
    """The loop: read lines until quit or end of input."""
    while True:
        try:
            line = read(PROMPT)
        except EOFError:
            repl.console.print()
            return
        except KeyboardInterrupt:
            # Ctrl-C drops the half-typed line, as in a shell; Ctrl-D or quit leaves.
            repl.console.print()
            continue
        try:
            if not repl.handle(line):
                return
        except KeyboardInterrupt:
            # Ctrl-C while waiting for an answer stops waiting; a late answer is shown with the next one.
            repl.console.print(Text("(stopped waiting)", style="dim"))
