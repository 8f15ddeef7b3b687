"""The console's Slack: the one fake (`bot.fakeslack`), plus a queue of what a user would see.

The Bolt app's `WebClient` points at the fake's `/api/`, and every `response_url` the console
hands out is one of the fake's `/response/<name>` routes. A listener on the fake's recorded calls
turns each message the app sends either way into a `Delivery` for the REPL renderer; every other
Web API call gets the fake's usual answer and is only recorded.
"""

from __future__ import annotations

import itertools
import queue
import time
from dataclasses import dataclass, field
from typing import Any

from bot.fakeslack import BOT_USER_ID, Call, FakeSlack

__all__ = ["BOT_USER_ID", "MESSAGE_METHODS", "ConsoleSlack", "Delivery"]

# Web API methods whose payload is something a user would see, and so is rendered.
MESSAGE_METHODS = frozenset(
    {"chat.postMessage", "chat.postEphemeral", "chat.update", "views.open", "views.push", "views.update"}
)
# slack_sdk form-encodes these as JSON strings; the renderer wants them decoded.
_JSON_FIELDS = ("blocks", "view", "attachments")


@dataclass(frozen=True)
class Delivery:
    """One thing the app sent: a `response_url` post or a visible Web API call."""

    kind: str  # "response" or "api"
    method: str  # Web API method, or "response"
    payload: dict[str, Any]
    response_url: str = ""
    received: float = field(default_factory=time.monotonic)


class ConsoleSlack(FakeSlack):
    """The fake Slack on 127.0.0.1, queueing what the app shows the user as `deliveries`."""

    def __init__(self) -> None:
        """Not yet serving: use `start()` or `with`."""
        super().__init__()
        self.deliveries: queue.Queue[Delivery] = queue.Queue()
        self._response_ids = itertools.count(1)
        self.on_call(self._deliver)

    def new_response_url(self) -> str:
        """A fresh `response_url` served by this fake."""
        return self.response_url(f"console-{next(self._response_ids)}")

    def _deliver(self, call: Call) -> None:
        # A refused call (bad arguments) shows nothing in Slack either; the app's error handler
        # explains the failure in a message of its own.
        if not call.ok:
            return
        if call.kind == "response":
            url = self.response_url(call.name or "")
            self.deliveries.put(Delivery("response", "response", dict(call.params), url, call.time))
        elif call.kind == "api" and call.method in MESSAGE_METHODS:
            payload = dict(call.params)
            for key in _JSON_FIELDS:
                if key in payload:
                    payload[key] = call.param_json(key)
            self.deliveries.put(Delivery("api", call.method, payload, received=call.time))
