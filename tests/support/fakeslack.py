"""A local fake of the Slack Web API for offline bot tests.

``FakeSlack`` runs a stdlib ``ThreadingHTTPServer`` on ``127.0.0.1`` (ephemeral port) in a
background thread. Point a real ``slack_sdk.WebClient`` at ``fake.url`` and every call is recorded
and answered with a realistic canned response. It also serves ``response_url`` endpoints and the
upload URLs used by ``files_upload_v2``, and can inject 429/5xx/dropped-connection faults.

Typical use::

    with FakeSlack() as fake:
        client = WebClient(token="xoxb-test", base_url=fake.url)
        client.chat_postMessage(channel="C1", text="hi")
        [call] = fake.wait_for("chat.postMessage")

As a pytest fixture::

    @pytest.fixture
    def fake_slack() -> Iterator[FakeSlack]:
        fake = FakeSlack().start()
        yield fake
        fake.stop()

Routes served: ``/api/<method>`` (Web API), ``/upload/<file_id>`` (upload URLs handed out by
``files.getUploadURLExternal``), ``/response/<name>`` (``response_url`` stand-ins). Anything else
gets a 404 and is recorded with ``kind="other"``.
"""

from __future__ import annotations

import email.parser
import email.policy
import itertools
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import TCPServer
from typing import Any, Literal, Self
from urllib.parse import parse_qs, quote, unquote, urlsplit

from slack_sdk import WebClient

__all__ = ["Call", "FakeSlack", "Handler", "UploadedFile"]

HOST = "127.0.0.1"  # Loopback only: the fake must never be reachable from another machine.
BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
TEAM_ID = "T1"
TEAM_DOMAIN = "annobot-test"
APP_ID = "A1"

# Upper bound for delay(): a slow-Slack simulation longer than this is a test bug, not a scenario.
MAX_DELAY_SECONDS = 10.0
# Socket timeout for a handler thread, so a client that connects and never sends cannot hang stop().
HANDLER_SOCKET_TIMEOUT = 10.0

Kind = Literal["api", "upload", "response", "other"]
Handler = Callable[[dict[str, Any]], Mapping[str, Any]]

_DEFAULT_ERRORS = {429: "ratelimited", 500: "internal_error", 503: "service_unavailable"}


@dataclass(frozen=True)
class UploadedFile:
    """One file part of a multipart/form-data request."""

    field: str
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass(frozen=True)
class Call:
    """One HTTP request received by the fake, with what it answered."""

    seq: int  # Arrival order across all kinds of request.
    kind: Kind
    method: str  # Slack method ("chat.postMessage"), "upload", "response", or the path for "other".
    params: dict[str, Any]  # Query + form/JSON body; repeated form keys become lists.
    headers: dict[str, str]  # Lower-cased names.
    body: bytes
    files: dict[str, UploadedFile]
    time: float  # time.monotonic() at arrival.
    http_method: str
    path: str
    name: str | None  # response_url name or upload file id.
    status: int | None  # HTTP status answered; None when the connection was dropped.
    injected: bool  # True when the answer came from fail_next() rather than normal handling.
    reply: Any  # JSON (dict) or text answered; None when dropped.

    @property
    def delivered(self) -> bool:
        """True if the call was handled normally (not an injected failure)."""
        return not self.injected

    @property
    def ok(self) -> bool:
        """True if the fake answered ``{"ok": true}`` (or 200 for non-API routes)."""
        if isinstance(self.reply, Mapping):
            return bool(self.reply.get("ok"))
        return self.status == 200

    def param_json(self, key: str) -> Any:
        """Return ``params[key]`` decoded from JSON if it was sent as a string (e.g. form ``blocks``)."""
        return _maybe_json(self.params.get(key))


@dataclass
class _Fault:
    status: int
    retry_after: int | None
    drop: bool
    error: str | None
    remaining: int


@dataclass
class _Reply:
    status: int | None  # None = drop the connection.
    payload: Any = None  # dict → JSON body, str → text body.
    headers: dict[str, str] = field(default_factory=dict)
    injected: bool = False


def _maybe_json(value: Any) -> Any:
    """Decode a JSON string (form-encoded Slack args carry JSON as strings); pass others through."""
    if isinstance(value, str | bytes):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _describe(call: Call) -> str:
    """Short form for failure messages, e.g. ``chat.postMessage=429(injected)``."""
    label = f"{call.method}[{call.name}]" if call.name else call.method
    status = "dropped" if call.status is None else call.status
    return f"{label}={status}{'(injected)' if call.injected else ''}"


def _flatten_qs(raw: str) -> dict[str, Any]:
    parsed = parse_qs(raw, keep_blank_values=True)
    return {k: v[0] if len(v) == 1 else v for k, v in parsed.items()}


def _parse_multipart(content_type: str, body: bytes) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
    # The email package is the stdlib's only multipart parser now that cgi is deprecated.
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    params: dict[str, Any] = {}
    files: dict[str, UploadedFile] = {}
    if not message.is_multipart():
        return params, files
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        data = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is None:
            params[name] = data.decode("utf-8", errors="replace")
        else:
            files[name] = UploadedFile(name, filename, part.get_content_type(), data)
    return params, files


def _parse_params(
    query: str, headers: Mapping[str, str], body: bytes
) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
    params = _flatten_qs(query)
    files: dict[str, UploadedFile] = {}
    content_type = headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form, files = _parse_multipart(content_type, body)
        params.update(form)
        return params, files
    text = body.decode("utf-8", errors="replace")
    # Sniff JSON rather than trusting Content-Type: Slack accepts JSON bodies on any method.
    if text.lstrip().startswith("{"):
        try:
            decoded = json.loads(text)
        except ValueError:
            decoded = None
        if isinstance(decoded, dict):
            params.update(decoded)
            return params, files
    if text:
        params.update(_flatten_qs(text))
    return params, files


class _Server(ThreadingHTTPServer):
    # Non-daemon handler threads + block_on_close make server_close() join them: no leaked threads.
    daemon_threads = False
    block_on_close = True

    def __init__(self, fake: FakeSlack) -> None:
        self.fake = fake
        super().__init__((HOST, 0), _RequestHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls socket.getfqdn(), a reverse-DNS lookup that can stall for
        # seconds in sandboxes; the name is never used here.
        TCPServer.server_bind(self)
        self.server_name = HOST
        self.server_port = self.server_address[1]


class _RequestHandler(BaseHTTPRequestHandler):
    server: _Server
    timeout = HANDLER_SOCKET_TIMEOUT
    # HTTP/1.0: one request per connection, so no idle keep-alive thread outlives a call.
    protocol_version = "HTTP/1.0"

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # Keep test output clean; every request is recorded on the fake instead.

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        reply = self.server.fake._dispatch(self.command, self.path, self.headers, body)
        if reply.status is None:
            # Injected drop: no status line at all, so the client sees RemoteDisconnected.
            self.close_connection = True
            return
        if isinstance(reply.payload, str):
            data = reply.payload.encode("utf-8")
            content_type = "text/plain; charset=utf-8"
        else:
            data = json.dumps(reply.payload).encode("utf-8")
            content_type = "application/json; charset=utf-8"
        self.send_response(reply.status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for key, value in reply.headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)


class FakeSlack:
    """A recording, fault-injecting fake of the Slack Web API bound to 127.0.0.1."""

    def __init__(
        self,
        *,
        users: Mapping[str, Mapping[str, Any]] | None = None,
        emails: Mapping[str, str] | None = None,
        channels: Mapping[str, Mapping[str, Any]] | None = None,
        token_prefixes: tuple[str, ...] = ("xoxb-",),
    ) -> None:
        """Configure canned data; nothing listens until start()."""
        self._lock = threading.Condition()
        self._calls: list[Call] = []
        self._faults: dict[str, list[_Fault]] = {}
        self._delays: dict[str, float] = {}
        self._handlers: dict[str, Handler] = {}
        self._users: dict[str, dict[str, Any]] = {}
        self._emails: dict[str, str] = dict(emails or {})
        self._channels: dict[str, dict[str, Any]] = {k: dict(v) for k, v in (channels or {}).items()}
        self._upload_names: dict[str, str] = {}
        self._home_view_ids: dict[str, str] = {}
        self._seq = itertools.count(1)
        self._ids = itertools.count(1)
        # Microseconds since epoch; +100 per message keeps ts strings unique and ordered.
        self._ts_micros = 1_700_000_000_000_000
        self._token_prefixes = token_prefixes
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        for user_id, fields in (users or {}).items():
            self.add_user(user_id, **fields)

    # ----------------------------------------------------------------------------------------------
    # Lifecycle

    def start(self) -> Self:
        """Bind 127.0.0.1 on an ephemeral port and serve in a daemon thread; returns self."""
        if self._server is not None:
            raise RuntimeError("FakeSlack can be started once; make a new one instead")
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.01},  # Short poll: stop() waits up to one interval.
            name=f"FakeSlack:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, join handler threads and close the socket; safe to call twice."""
        server, thread = self._server, self._thread
        if server is None or self._stopping.is_set():
            return
        self._stopping.set()  # Wakes handlers sleeping in delay().
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The ephemeral port the fake listens on."""
        if self._server is None:
            raise RuntimeError("FakeSlack not started")
        return int(self._server.server_address[1])

    @property
    def base(self) -> str:
        """Root URL without path, e.g. ``http://127.0.0.1:PORT``."""
        return f"http://{HOST}:{self.port}"

    @property
    def url(self) -> str:
        """Web API base URL with trailing slash, for ``WebClient(base_url=...)``."""
        return f"{self.base}/api/"

    def response_url(self, name: str = "r1") -> str:
        """A response_url served by the fake; POSTs to it are recorded under ``name``."""
        return f"{self.base}/response/{quote(name, safe='')}"

    def client(self, token: str = "xoxb-test", **kwargs: Any) -> WebClient:
        """A real WebClient pointed at the fake, never routed through an env proxy."""
        client = WebClient(token=token, base_url=self.url, **kwargs)
        # WebClient adopts HTTPS_PROXY/HTTP_PROXY from the environment (ignoring NO_PROXY); a
        # proxy cannot reach our loopback server, so drop it.
        client.proxy = None
        return client

    # ----------------------------------------------------------------------------------------------
    # Configuration

    def add_user(self, user_id: str, *, email: str | None = None, **fields: Any) -> None:
        """Register a user for users.info / users.lookupByEmail; ``fields`` override defaults."""
        user = self._default_user(user_id)
        profile = dict(user["profile"])
        if email is not None:
            profile["email"] = email
        profile.update(fields.pop("profile", {}))
        user.update(fields)
        user["profile"] = profile
        with self._lock:
            self._users[user_id] = user
            if email is not None:
                self._emails[email] = user_id

    def add_channel(self, channel_id: str, **fields: Any) -> None:
        """Register a conversation for conversations.info; ``fields`` override defaults."""
        channel = self._default_channel(channel_id)
        channel.update(fields)
        with self._lock:
            self._channels[channel_id] = channel

    def set_handler(self, method: str, handler: Handler | Mapping[str, Any]) -> None:
        """Answer ``method`` with a fixed dict or ``handler(params)``; ``ok: true`` is added if absent."""
        fn: Handler = handler if callable(handler) else (lambda _params, _fixed=dict(handler): _fixed)
        with self._lock:
            self._handlers[method] = fn

    def fail_next(
        self,
        method: str,
        status: int = 429,
        *,
        retry_after: int | None = 1,
        times: int = 1,
        drop: bool = False,
        error: str | None = None,
    ) -> None:
        """Make the next ``times`` requests for ``method`` fail.

        ``method`` is a Slack method name, ``"upload"`` (upload URLs) or ``"response"`` (any
        response_url). ``drop=True`` closes the connection without answering. ``Retry-After`` is
        sent only with 429. ``status=200`` with ``error`` gives an ``{"ok": false}`` API error.
        Successive calls queue up in order.
        """
        if times < 1:
            raise ValueError("times must be >= 1")
        fault = _Fault(status=status, retry_after=retry_after, drop=drop, error=error, remaining=times)
        with self._lock:
            self._faults.setdefault(method, []).append(fault)

    def delay(self, method: str, seconds: float) -> None:
        """Hold every later ``method`` request ``seconds`` before answering (0 removes it)."""
        if not 0 <= seconds <= MAX_DELAY_SECONDS:
            raise ValueError(f"delay must be within 0..{MAX_DELAY_SECONDS} s")
        with self._lock:
            if seconds:
                self._delays[method] = seconds
            else:
                self._delays.pop(method, None)

    def reset(self) -> None:
        """Forget recorded requests, pending faults, delays and custom handlers (users stay)."""
        with self._lock:
            self._calls.clear()
            self._faults.clear()
            self._delays.clear()
            self._handlers.clear()

    # ----------------------------------------------------------------------------------------------
    # Inspection

    def requests(self) -> list[Call]:
        """Every recorded request of any kind, in arrival order."""
        with self._lock:
            return list(self._calls)

    def calls(self, method: str | None = None) -> list[Call]:
        """Recorded Web API calls (optionally one method), injected failures included."""
        return self._select("api", method)

    def responses(self, name: str | None = None) -> list[Call]:
        """Recorded POSTs to response_urls (optionally one name); ``.params`` is the JSON body."""
        return self._select("response", None, name)

    def uploads(self, file_id: str | None = None) -> list[Call]:
        """Recorded POSTs to upload URLs; ``.body`` holds the bytes, ``.name`` the file id."""
        return self._select("upload", None, file_id)

    def wait_for(
        self, method: str, count: int = 1, timeout: float = 5.0, *, include_failed: bool = False
    ) -> list[Call]:
        """Wait until ``count`` delivered calls of ``method`` arrived; return all of them.

        Injected failures are not counted unless ``include_failed`` (they are in the result then).
        Raises AssertionError listing what was received on timeout.
        """
        return self._wait("api", method, None, count, timeout, include_failed)

    def wait_for_response(
        self, name: str | None = None, count: int = 1, timeout: float = 5.0, *, include_failed: bool = False
    ) -> list[Call]:
        """Wait until ``count`` delivered response_url POSTs (optionally to ``name``) arrived."""
        return self._wait("response", None, name, count, timeout, include_failed)

    def _select(self, kind: Kind, method: str | None, name: str | None = None) -> list[Call]:
        with self._lock:
            return [
                c
                for c in self._calls
                if c.kind == kind
                and (method is None or c.method == method)
                and (name is None or c.name == name)
            ]

    def _wait(
        self,
        kind: Kind,
        method: str | None,
        name: str | None,
        count: int,
        timeout: float,
        include_failed: bool,
    ) -> list[Call]:
        deadline = time.monotonic() + timeout

        def matching() -> list[Call]:
            return [
                c
                for c in self._calls
                if c.kind == kind
                and (method is None or c.method == method)
                and (name is None or c.name == name)
                and (include_failed or c.delivered)
            ]

        with self._lock:
            # Condition.wait is woken on every recorded call, so this returns as soon as possible.
            while len(found := matching()) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    target = method or name or kind
                    raise AssertionError(
                        f"timed out after {timeout}s waiting for {count} x {target!r}, got {len(found)}; "
                        f"received: {[_describe(c) for c in self._calls]}"
                    )
                self._lock.wait(remaining)
            return found

    # ----------------------------------------------------------------------------------------------
    # Request handling (runs on server threads)

    def _dispatch(self, http_method: str, raw_path: str, raw_headers: Any, body: bytes) -> _Reply:
        arrived = time.monotonic()
        split = urlsplit(raw_path)
        headers = {k.lower(): v for k, v in raw_headers.items()}
        params, files = _parse_params(split.query, headers, body)
        kind, method, name = self._route(split.path)

        with self._lock:
            pause = self._delays.get(method, 0.0)
        if pause:
            # Waiting on the stop event keeps stop() fast even while a delayed call is pending.
            self._stopping.wait(pause)

        reply = self._take_fault(method) if kind != "other" else None
        if reply is None:
            try:
                reply = self._answer(kind, method, name, params, headers, body)
            except Exception as exc:  # A broken custom handler must show up in the test, not hang it.
                reply = _Reply(500, {"ok": False, "error": f"fake_error: {exc!r}"})

        call = Call(
            seq=next(self._seq),
            kind=kind,
            method=method,
            params=params,
            headers=headers,
            body=body,
            files=files,
            time=arrived,
            http_method=http_method,
            path=split.path,
            name=name,
            status=reply.status,
            injected=reply.injected,
            reply=reply.payload,
        )
        with self._lock:
            self._calls.append(call)
            self._lock.notify_all()
        return reply

    @staticmethod
    def _route(path: str) -> tuple[Kind, str, str | None]:
        if path.startswith("/api/") and len(path) > len("/api/"):
            return "api", unquote(path.removeprefix("/api/")), None
        if path.startswith("/upload/") and len(path) > len("/upload/"):
            return "upload", "upload", unquote(path.removeprefix("/upload/"))
        if path.startswith("/response/") and len(path) > len("/response/"):
            return "response", "response", unquote(path.removeprefix("/response/"))
        return "other", path, None

    def _take_fault(self, method: str) -> _Reply | None:
        with self._lock:
            queue = self._faults.get(method)
            if not queue:
                return None
            fault = queue[0]
            fault.remaining -= 1
            if fault.remaining == 0:
                queue.pop(0)
        if fault.drop:
            return _Reply(None, injected=True)
        headers: dict[str, str] = {}
        if fault.status == 429 and fault.retry_after is not None:
            headers["Retry-After"] = str(fault.retry_after)
        error = fault.error or _DEFAULT_ERRORS.get(fault.status, "fatal_error")
        payload: Any = {"ok": False, "error": error}
        if method in ("upload", "response"):
            payload = error  # Those endpoints answer plain text, like Slack's.
        return _Reply(fault.status, payload, headers, injected=True)

    def _answer(
        self,
        kind: Kind,
        method: str,
        name: str | None,
        params: dict[str, Any],
        headers: Mapping[str, str],
        body: bytes,
    ) -> _Reply:
        if kind == "other":
            return _Reply(404, {"ok": False, "error": "unknown_path"})
        if kind == "response":
            return _Reply(200, "ok")
        if kind == "upload":
            with self._lock:
                known = name in self._upload_names
            return _Reply(200, f"OK - {len(body)}") if known else _Reply(404, "file_not_found")

        auth = headers.get("authorization", "")
        token = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else ""
        if not token.startswith(self._token_prefixes) or len(token) <= len("xoxb-"):
            return _Reply(200, {"ok": False, "error": "invalid_auth"})

        with self._lock:
            custom = self._handlers.get(method)
        if custom is not None:
            result = {"ok": True, **custom(params)}
        else:
            builtin = _BUILTIN.get(method)
            result = builtin(self, params) if builtin else {"ok": True}
        extra: dict[str, str] = {}
        if method == "auth.test":
            extra["x-oauth-scopes"] = "chat:write,commands,files:write,users:read,users:read.email"
        return _Reply(200, result, extra)

    # ----------------------------------------------------------------------------------------------
    # Canned data

    def _next_ts(self) -> str:
        with self._lock:
            self._ts_micros += 100
            micros = self._ts_micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _next_id(self, prefix: str) -> str:
        with self._lock:
            return f"{prefix}{next(self._ids):09d}"

    @staticmethod
    def _default_user(user_id: str) -> dict[str, Any]:
        name = user_id.lower()
        return {
            "id": user_id,
            "team_id": TEAM_ID,
            "name": name,
            "real_name": f"User {user_id}",
            "deleted": False,
            "is_bot": user_id == BOT_USER_ID,
            "is_admin": False,
            "tz": "Europe/London",
            "tz_label": "Greenwich Mean Time",
            "tz_offset": 0,
            "profile": {"real_name": f"User {user_id}", "display_name": name},
        }

    @staticmethod
    def _default_channel(channel_id: str) -> dict[str, Any]:
        return {
            "id": channel_id,
            "name": f"channel-{channel_id.lower()}",
            "is_channel": channel_id.startswith("C"),
            "is_group": channel_id.startswith("G"),
            "is_im": channel_id.startswith("D"),
            "is_private": channel_id.startswith(("G", "D")),
            "is_archived": False,
            "is_member": True,
            "created": 1_600_000_000,
        }

    def _message(self, params: Mapping[str, Any], ts: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": TEAM_ID,
            "text": params.get("text") or "",
            "ts": ts,
        }
        for key in ("blocks", "attachments", "metadata"):
            if params.get(key) is not None:
                message[key] = _maybe_json(params[key])
        if params.get("thread_ts"):
            message["thread_ts"] = params["thread_ts"]
        return message

    def _view(self, params: Mapping[str, Any], view_id: str, *, kind: str | None = None) -> dict[str, Any]:
        view = _maybe_json(params.get("view"))
        view = dict(view) if isinstance(view, Mapping) else {}
        view_hash = self._next_ts()
        return {
            "id": view_id,
            "team_id": TEAM_ID,
            "type": view.get("type", kind or "modal"),
            "blocks": view.get("blocks", []),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "external_id": view.get("external_id", params.get("external_id", "")),
            "state": {"values": {}},
            "hash": f"{view_hash}.fakehash",
            "title": view.get("title"),
            "submit": view.get("submit"),
            "close": view.get("close"),
            "root_view_id": view_id,
            "previous_view_id": None,
            "app_id": APP_ID,
            "app_installed_team_id": TEAM_ID,
            "bot_id": BOT_ID,
        }


# Built-in method answers. Each takes the parsed params and returns the JSON body.
def _auth_test(fake: FakeSlack, params: dict[str, Any]) -> dict[str, Any]:
    return {
        "ok": True,
        "url": f"https://{TEAM_DOMAIN}.slack.com/",
        "team": TEAM_DOMAIN,
        "user": "annobot",
        "team_id": TEAM_ID,
        "user_id": BOT_USER_ID,
        "bot_id": BOT_ID,
        "is_enterprise_install": False,
    }


def _has_content(params: Mapping[str, Any]) -> bool:
    return any(params.get(k) for k in ("text", "blocks", "attachments", "markdown_text"))


def _post_message(fake: FakeSlack, params: dict[str, Any]) -> dict[str, Any]:
    channel = params.get("channel")
    if not channel:
        return {"ok": False, "error": "channel_not_found"}
    if not _has_content(params):
        return {"ok": False, "error": "no_text"}
    ts = fake._next_ts()
    return {"ok": True, "channel": channel, "ts": ts, "message": fake._message(params, ts)}


def _post_ephemeral(fake: FakeSlack, params: dict[str, Any]) -> dict[str, Any]:
    # Real Slack answers only message_ts here (no ts, no channel); mirror that so bot code that
    # reads resp["ts"] fails in tests instead of in production.
    if not params.get("channel"):
        return {"ok": False, "error": "channel_not_found"}
    if not params.get("user"):
        return {"ok": False, "error": "user_not_in_channel"}
    if not _has_content(params):
        return {"ok": False, "error": "no_text"}
    return {"ok": True, "message_ts": fake._next_ts()}


def _update(fake: FakeSlack, params: dict[str, Any]) -> dict[str, Any]:
    channel, ts = params.get("channel"), params.get("ts")
    if not channel:
        return {"ok": False, "error": "channel_not_found"}
    if not ts:
        return {"ok": False, "error": "message_not_found"}
    # chat.update keeps the message's ts: it echoes the one it was given.
    message = fake._message(params, str(ts))
    return {"ok": True, "channel": channel, "ts": str(ts), "text": message["text"], "message": message}


def _delete(fake: FakeSlack, params: dict[str, Any]) -> dict[str, Any]:
    if not params.get("ts"):
        return {"ok": False, "error": "message_not_found"}
    return {"ok": True, "channel": params.get("channel"), "ts": str(params["ts"])}


def _schedule(fake: FakeSlack, params: dict[str, Any]) -> dict[str, Any]:
    if not params.get("channel"):
        return {"ok": False, "error": "channel_not_found"}
    post_at = int(params.get("post_at") or 0)
    return {
        "ok": True,
        "channel": params["channel"],
        "scheduled_message_id": fake._next_id("Q"),
        "post_at": post_at,
        "message": fake._message(params, fake._next_ts()),
    }


def _views_open(fake: FakeSlack, params: dict[str, Any]) -> dict[str, Any]:
    return {"ok": True, "view": fake._view(params, fake._next_id("V"))}


def _views_update(fake: FakeSlack, params: dict[str, Any]) -> dict[str, Any]:
    view_id = params.get("view_id") or fake._next_id("V")
    return {"ok": True, "view": fake._view(params, str(view_id))}


def _views_publish(fake: FakeSlack, params: dict[str, Any]) -> dict[str, Any]:
    user_id = str(params.get("user_id") or "")
    with fake._lock:
        # One Home tab per user: republishing keeps its view id, as Slack does.
        view_id = fake._home_view_ids.get(user_id)
    if view_id is None:
        view_id = fake._next_id("V")
        with fake._lock:
            view_id = fake._home_view_ids.setdefault(user_id, view_id)
    return {"ok": True, "view": fake._view(params, view_id, kind="home")}


def _users_info(fake: FakeSlack, params: dict[str, Any]) -> dict[str, Any]:
    user_id = str(params.get("user") or "")
    if not user_id:
        return {"ok": False, "error": "user_not_found"}
    with fake._lock:
        user = fake._users.get(user_id)
    return {"ok": True, "user": user if user is not None else fake._default_user(user_id)}


def _lookup_by_email(fake: FakeSlack, params: dict[str, Any]) -> dict[str, Any]:
    with fake._lock:
        user_id = fake._emails.get(str(params.get("email") or ""))
        user = fake._users.get(user_id) if user_id else None
    if user_id is None:
        return {"ok": False, "error": "users_not_found"}
    if user is None:
        user = fake._default_user(user_id)
        user["profile"]["email"] = params["email"]
    return {"ok": True, "user": user}


def _conversations_info(fake: FakeSlack, params: dict[str, Any]) -> dict[str, Any]:
    channel_id = str(params.get("channel") or "")
    if not channel_id:
        return {"ok": False, "error": "channel_not_found"}
    with fake._lock:
        channel = fake._channels.get(channel_id)
    return {"ok": True, "channel": channel if channel is not None else fake._default_channel(channel_id)}


def _conversations_open(fake: FakeSlack, params: dict[str, Any]) -> dict[str, Any]:
    users = str(params.get("users") or "")
    if params.get("channel"):
        return {"ok": True, "channel": {"id": params["channel"]}}
    if not users:
        return {"ok": False, "error": "users_list_not_supplied"}
    # Deterministic DM id per user set, so repeated opens return the same channel.
    return {"ok": True, "channel": {"id": "D" + users.replace(",", "").replace("U", "")[:12]}}


def _get_upload_url(fake: FakeSlack, params: dict[str, Any]) -> dict[str, Any]:
    filename = params.get("filename")
    if not filename or not str(params.get("length") or "").isdigit():
        return {"ok": False, "error": "invalid_arguments"}
    file_id = fake._next_id("F")
    with fake._lock:
        fake._upload_names[file_id] = str(filename)
    return {"ok": True, "upload_url": f"{fake.base}/upload/{file_id}", "file_id": file_id}


def _complete_upload(fake: FakeSlack, params: dict[str, Any]) -> dict[str, Any]:
    entries = _maybe_json(params.get("files"))
    if not isinstance(entries, list) or not entries:
        return {"ok": False, "error": "invalid_arguments"}
    result = []
    for entry in entries:
        file_id = str(entry.get("id"))
        with fake._lock:
            filename = fake._upload_names.get(file_id)
            uploaded = [c for c in fake._calls if c.kind == "upload" and c.name == file_id and c.ok]
        if filename is None:
            return {"ok": False, "error": "file_not_found"}
        size = len(uploaded[-1].body) if uploaded else 0
        title = entry.get("title") or filename
        result.append({"id": file_id, "name": filename, "title": title, "size": size})
    return {"ok": True, "files": result}


def _usergroups_users(fake: FakeSlack, params: dict[str, Any]) -> dict[str, Any]:
    return {"ok": True, "users": []}


_BUILTIN: dict[str, Callable[[FakeSlack, dict[str, Any]], dict[str, Any]]] = {
    "auth.test": _auth_test,
    "chat.postMessage": _post_message,
    "chat.postEphemeral": _post_ephemeral,
    "chat.update": _update,
    "chat.delete": _delete,
    "chat.scheduleMessage": _schedule,
    "views.open": _views_open,
    "views.push": _views_open,
    "views.update": _views_update,
    "views.publish": _views_publish,
    "users.info": _users_info,
    "users.lookupByEmail": _lookup_by_email,
    "conversations.info": _conversations_info,
    "conversations.open": _conversations_open,
    "files.getUploadURLExternal": _get_upload_url,
    "files.completeUploadExternal": _complete_upload,
    "usergroups.users.list": _usergroups_users,
}
