"""One console session: the real Bolt app wired to the console's fake Slack, driven by typed lines."""

from __future__ import annotations

import dataclasses
import itertools
import queue
import secrets
import time
from dataclasses import dataclass
from typing import Any, Protocol

from slack_bolt import BoltRequest, BoltResponse
from sqlalchemy import Engine

from bot.config import Config
from bot.console import requests
from bot.console.render import Choice
from bot.console.server import BOT_USER_ID, ConsoleSlack, Delivery

CONSOLE_BOT_TOKEN = "xoxb-console"
# How long to wait for the first answer after an ack, and for quiet after the last one: a long
# section arrives as several response_url posts in quick succession.
DEFAULT_WAIT_SECONDS = 15.0
SETTLE_SECONDS = 0.3


class Dispatcher(Protocol):
    """What the console needs from a Bolt app."""

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        """Handle one inbound Slack request."""
        ...


@dataclass(frozen=True)
class Outcome:
    """What one typed line produced: the app's HTTP answer and everything it sent afterwards."""

    status: int
    ack_body: str
    deliveries: list[Delivery]


def console_config(config: Config, api_url: str, secret: str) -> Config:
    """The configuration with dummy secrets and the console's fake Slack as the API URL."""
    slack = dataclasses.replace(
        config.slack,
        api_url=api_url,
        bot_token=CONSOLE_BOT_TOKEN,
        signing_secret=secret,
        app_token=None,
        # One person typing: answers in-process, no worker start-up.
        answer_workers=0,
    )
    return dataclasses.replace(config, slack=slack)


def build_app(config: Config, slack: ConsoleSlack, secret: str, engine: Engine | None = None) -> Dispatcher:
    """The real Bolt app (`create_app`) behind the HTTP mode's edge, its WebClient on the fake Slack.

    The edge verifies and parses each request as in HTTP mode, so what works in the console
    works over HTTP.
    """
    from bot.slack.app import create_app
    from bot.slack.http import edge_for

    client = slack.client(CONSOLE_BOT_TOKEN)
    return edge_for(create_app(console_config(config, slack.url, secret), client=client, engine=engine))


class ConsoleSession:
    """Sends signed requests to an app and collects what it answers through the console's fake Slack."""

    def __init__(
        self,
        app: Dispatcher,
        slack: ConsoleSlack,
        secret: str,
        *,
        wait: float = DEFAULT_WAIT_SECONDS,
        settle: float = SETTLE_SECONDS,
    ) -> None:
        """`secret` must be the signing secret the app was built with."""
        self.app = app
        self.slack = slack
        self.secret = secret
        self.wait = wait
        self.settle = settle
        self._event_ids = itertools.count(1)
        self._session_tag = secrets.token_hex(4)

    @staticmethod
    def new_secret() -> str:
        """A random per-session signing secret."""
        return secrets.token_hex(16)

    def command(self, command: str, text: str) -> Outcome:
        """Send a slash command, as Slack would on `/command text`."""
        body = requests.slash_command(command, text, self.slack.new_response_url())
        return self._send(body, requests.FORM)

    def click(self, choice: Choice) -> Outcome:
        """Send the block_actions payload of a click on `choice`."""
        message = choice.message
        # A response_url post is ephemeral unless it says in_channel; Web API posts are visible.
        is_ephemeral = message.get("response_type", "ephemeral") == "ephemeral" and "channel" not in message
        body = requests.block_action(
            choice.action_id,
            choice.value,
            choice.label,
            choice.block_id,
            message,
            self.slack.new_response_url(),
            is_ephemeral=is_ephemeral,
        )
        return self._send(body, requests.FORM)

    def mention(self, text: str) -> Outcome:
        """Send an `app_mention` event, as Slack would for `@annobot text` in a channel."""
        event_id = f"EvConsole{self._session_tag}{next(self._event_ids)}"
        return self._send(requests.app_mention(text, BOT_USER_ID, event_id), requests.JSON)

    def _send(self, body: str, content_type: str) -> Outcome:
        late = self._drain()
        response = self.app.dispatch(requests.signed_request(self.secret, body, content_type))
        ack_body = response.body if isinstance(response.body, str) else str(response.body or "")
        if response.status != 200:
            return Outcome(response.status, ack_body, late)
        return Outcome(response.status, ack_body, late + self._collect())

    def _drain(self) -> list[Delivery]:
        """Whatever arrived after the last wait ended (slow answers), shown before the next one."""
        out = []
        while True:
            try:
                out.append(self.slack.deliveries.get_nowait())
            except queue.Empty:
                return out

    def _collect(self) -> list[Delivery]:
        """Wait (bounded) for the first delivery, then until the app has been quiet for `settle`."""
        deadline = time.monotonic() + self.wait
        out: list[Delivery] = []
        while True:
            now = time.monotonic()
            if now >= deadline:
                return out
            timeout = min(self.settle, deadline - now) if out else deadline - now
            try:
                out.append(self.slack.deliveries.get(timeout=timeout))
            except queue.Empty:
                # Nothing in time: either no answer at all, or the app has gone quiet.
                return out


def message_of(delivery: Delivery) -> tuple[dict[str, Any], bool]:
    """The message dict a delivery shows, and whether it is a view (modal)."""
    payload = delivery.payload
    if delivery.method.startswith("views."):
        view = payload.get("view")
        return (view if isinstance(view, dict) else {}), True
    return payload, False
