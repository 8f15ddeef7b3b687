"""The console's stand-in for Slack: a loopback HTTP server playing the Web API and `response_url`s.

The Bolt app's `WebClient` points at `/api/`, and every `response_url` the console hands out points
at `/response/<n>`. Every message the app sends either way is queued as a `Delivery` for rendering;
other Web API calls are answered `ok` so listeners never fail on them.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import queue
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

HOST = "127.0.0.1"  # loopback only: the console must never be reachable from another machine
BOT_USER_ID = "UCONSOLEBOT"
BOT_ID = "BCONSOLE"
TEAM_ID = "TCONSOLE"
# Web API methods whose payload is something a user would see, and so is rendered.
MESSAGE_METHODS = frozenset(
    {"chat.postMessage", "chat.postEphemeral", "chat.update", "views.open", "views.push", "views.update"}
)


@dataclass(frozen=True)
class Delivery:
    """One thing the app sent: a `response_url` post or a visible Web API call."""

    kind: str  # "response" or "api"
    method: str  # Web API method, or "response"
    payload: dict[str, Any]
    response_url: str = ""
    received: float = field(default_factory=time.monotonic)


def _parse_body(raw: bytes, content_type: str) -> dict[str, Any]:
    text = raw.decode("utf-8", "replace")
    if "json" in content_type or text.lstrip().startswith("{"):
        try:
            data = json.loads(text or "{}")
        except ValueError:
            return {"_raw": text}
        return data if isinstance(data, dict) else {"_raw": data}
    fields: dict[str, Any] = {k: v[-1] for k, v in parse_qs(text, keep_blank_values=True).items()}
    # slack_sdk form-encodes blocks/view as JSON strings; decode them for the renderer.
    for key in ("blocks", "view", "attachments"):
        if isinstance(fields.get(key), str):
            with contextlib.suppress(ValueError):
                fields[key] = json.loads(fields[key])
    return fields


class ConsoleSlack:
    """A loopback server that queues what the app sends and answers every Web API call `ok`."""

    def __init__(self) -> None:
        """Bind to 127.0.0.1 on an ephemeral port (not yet serving)."""
        self.deliveries: queue.Queue[Delivery] = queue.Queue()
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer((HOST, 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL of the server, ending in a slash."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/"

    @property
    def api_url(self) -> str:
        """What to hand to `WebClient(base_url=...)` (slack_sdk joins method names with urljoin)."""
        return self.url + "api/"

    def new_response_url(self) -> str:
        """A fresh `response_url` served by this server."""
        return f"{self.url}response/{next(self._ids)}"

    def start(self) -> ConsoleSlack:
        """Serve in a daemon thread."""
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True, name="console-slack"
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> ConsoleSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- answers -------------------------------------------------------------------------------

    def _ts(self) -> str:
        return f"{time.time():.6f}"

    def answer_api(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """The JSON reply to a Web API call; visible messages are queued for rendering."""
        with self._lock:
            self.calls.append((method, params))
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://console.invalid/",
                "team": "console",
                "user": "annobot",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
                "is_enterprise_install": False,
            }
        if method in MESSAGE_METHODS:
            self.deliveries.put(Delivery("api", method, params))
        reply: dict[str, Any] = {"ok": True}
        if method.startswith("chat."):
            ts = self._ts()
            reply.update(channel=params.get("channel", ""), ts=ts, message_ts=ts)
            reply["message"] = {"type": "message", "ts": ts, "text": params.get("text", ""), "bot_id": BOT_ID}
        elif method.startswith("views."):
            view = params.get("view") if isinstance(params.get("view"), dict) else {}
            reply["view"] = {"id": f"VCONSOLE{next(self._ids)}", **view}
        return reply

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = _parse_body(self.rfile.read(length), self.headers.get("Content-Type", ""))
                path = self.path.split("?", 1)[0]
                if path.startswith("/api/"):
                    self._send(200, "application/json", json.dumps(server.answer_api(path[5:], body)))
                elif path.startswith("/response/"):
                    url = server.url + path.lstrip("/")
                    server.deliveries.put(Delivery("response", "response", body, response_url=url))
                    # What Slack answers on a response_url.
                    self._send(200, "text/plain", "ok")
                else:
                    self._send(404, "text/plain", "not found")

            def _send(self, status: int, content_type: str, text: str) -> None:
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", f"{content_type}; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                # Request logs would scribble over the REPL.
                pass

        return Handler
