"""`FakeSlack`: the HTTP server, the record of every request, injected faults and waiting helpers."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import TCPServer
from typing import Any, Literal, Self
from urllib.parse import quote, unquote, urlsplit

from slack_sdk import WebClient

from bot.fakeslack.wire import UploadedFile, maybe_json, parse_params
from bot.fakeslack.workspace import Workspace

HOST = "127.0.0.1"  # Loopback only: the fake must never be reachable from another machine.

# Upper bound for delay(): a slow-Slack simulation longer than this is a test bug, not a scenario.
MAX_DELAY_SECONDS = 10.0
# Socket timeout for a handler thread, so a client that connects and never sends cannot hang stop().
HANDLER_SOCKET_TIMEOUT = 10.0

Kind = Literal["api", "upload", "response", "other"]
Handler = Callable[[dict[str, Any]], Mapping[str, Any]]
Clock = Callable[[], datetime]
Listener = Callable[["Call"], None]

_DEFAULT_ERRORS = {429: "ratelimited", 500: "internal_error", 503: "service_unavailable"}


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
        return maybe_json(self.params.get(key))


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


@dataclass(frozen=True)
class HeldRequest:
    """A request a `Hold` keeps: not recorded, not answered (yet)."""

    method: str
    params: dict[str, Any]
    token: str
    time: float  # time.monotonic() at arrival


class Hold:
    """Requests of one method held unanswered (a Slack that never replies), from `FakeSlack.hold`.

    A held request is not recorded and gets no answer until `release()`, when it is handled as if it
    had just arrived (recorded, answered, posted); when the fake stops first, its connection is closed
    without an answer and it leaves no trace, as a post Slack never received.
    """

    def __init__(
        self,
        fake: FakeSlack,
        method: str,
        token: str | None,
        when: Callable[[dict[str, Any]], bool] | None,
        times: int | None,
    ) -> None:
        """Use `FakeSlack.hold`."""
        self._fake, self.method, self.token, self._when = fake, method, token, when
        self._remaining = times
        self.held: list[HeldRequest] = []
        self.released = False

    def _takes(self, method: str, token: str, params: dict[str, Any]) -> bool:
        # Called with the fake's lock held.
        if self.released or method != self.method or self._remaining == 0:
            return False
        if self.token is not None and token != self.token:
            return False
        if self._when is not None and not self._when(params):
            return False
        if self._remaining is not None:
            self._remaining -= 1
        return True

    def wait(self, count: int = 1, timeout: float = 5.0) -> list[HeldRequest]:
        """Wait until `count` requests are held; all held so far. AssertionError on timeout."""
        deadline = time.monotonic() + timeout
        with self._fake._lock:
            while len(self.held) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"timed out after {timeout}s waiting for {count} held {self.method!r}, "
                        f"got {len(self.held)}"
                    )
                self._fake._lock.wait(remaining)
            return list(self.held)

    def release(self) -> None:
        """Answer the held requests normally, and hold no new ones."""
        with self._fake._lock:
            self.released = True
            self._fake._lock.notify_all()


def _token(headers: Mapping[str, str], params: Mapping[str, Any]) -> str:
    auth = headers.get("authorization", "")
    if auth.startswith("Bearer "):
        return auth.removeprefix("Bearer ").strip()
    return str(params.get("token") or "")


def _describe(call: Call) -> str:
    """Short form for failure messages, e.g. ``chat.postMessage=429(injected)``."""
    label = f"{call.method}[{call.name}]" if call.name else call.method
    status = "dropped" if call.status is None else call.status
    return f"{label}={status}{'(injected)' if call.injected else ''}"


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
        clock: Clock | None = None,
    ) -> None:
        """Configure canned data; nothing listens until start().

        With `clock`, message ts are that clock's time (as Slack's are its own), so a test on a
        simulated clock can read history with `oldest`/`latest` taken from the same clock.
        """
        self._lock = threading.Condition()
        self._calls: list[Call] = []
        self._faults: dict[str, list[_Fault]] = {}
        self._delays: dict[str, float] = {}
        self._handlers: dict[str, Handler] = {}
        self._listeners: list[Listener] = []
        self.workspace = Workspace(emails=emails, channels=channels)
        self.workspace.clock = clock
        self._holds: list[Hold] = []
        self._seq = itertools.count(1)
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
        self.workspace.base_url = self.base
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
        with self._lock:
            self._lock.notify_all()  # ...and those a Hold keeps, which then drop their connection.
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
        self.workspace.add_user(user_id, email=email, **fields)

    def add_channel(self, channel_id: str, **fields: Any) -> None:
        """Register a conversation for conversations.info; ``fields`` override defaults."""
        self.workspace.add_channel(channel_id, **fields)

    def set_usergroup(self, group_id: str, users: list[str] | tuple[str, ...]) -> None:
        """Make usergroups.users.list answer `users` for the group `group_id`."""
        self.workspace.set_usergroup(group_id, users)

    def revoke_scope(self, scope: str) -> None:
        """Answer `missing_scope` to every method needing `scope` (e.g. usergroups:read); reset() keeps it."""
        self.workspace.revoke_scope(scope)

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

    def hold(
        self,
        method: str,
        *,
        token: str | None = None,
        when: Callable[[dict[str, Any]], bool] | None = None,
        times: int | None = None,
    ) -> Hold:
        """Hold later ``method`` requests unanswered: those sent with ``token`` (any without), for which
        ``when(params)`` is true (all without), the next ``times`` of them (all without).

        A held request is neither recorded nor answered until ``Hold.release()``; on ``stop()`` its
        connection is closed unanswered. So a test can freeze one client (give each process its own
        token) in the middle of a call, e.g. to kill it there. ``reset()`` releases every hold.
        """
        if times is not None and times < 1:
            raise ValueError("times must be >= 1")
        held = Hold(self, method, token, when, times)
        with self._lock:
            self._holds.append(held)
        return held

    def on_call(self, listener: Listener) -> None:
        """Call ``listener(call)`` for every request once it is recorded, before it is answered.

        Runs on the server thread that handled the request, so it must be quick and must not raise.
        """
        with self._lock:
            self._listeners.append(listener)

    def reset(self) -> None:
        """Forget recorded requests, pending faults, delays and custom handlers (users and listeners stay)."""
        with self._lock:
            self._calls.clear()
            self._faults.clear()
            self._delays.clear()
            self._handlers.clear()
            for held in self._holds:
                held.released = True
            self._holds.clear()
            self._lock.notify_all()

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
        params, files = parse_params(split.query, headers, body)
        kind, method, name = self._route(split.path)
        if kind == "api" and not self._held(method, headers, params, arrived):
            return _Reply(None)  # the fake stopped while holding it: no answer, no record

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
            listeners = list(self._listeners)
        for listener in listeners:
            listener(call)
        return reply

    def _held(self, method: str, headers: Mapping[str, str], params: dict[str, Any], arrived: float) -> bool:
        """Keep the request while a Hold takes it; False if the fake stopped meanwhile (drop it)."""
        token = _token(headers, params)
        with self._lock:
            hold = next((h for h in self._holds if h._takes(method, token, params)), None)
            if hold is None:
                return True
            hold.held.append(HeldRequest(method, params, token, arrived))
            self._lock.notify_all()  # Hold.wait() is woken
            while not hold.released and not self._stopping.is_set():
                self._lock.wait()
        return not self._stopping.is_set()

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
            known = self.workspace.record_upload(name, len(body))
            return _Reply(200, f"OK - {len(body)}") if known else _Reply(404, "file_not_found")

        auth = headers.get("authorization", "")
        token = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else ""
        if not token.startswith(self._token_prefixes) or len(token) <= len("xoxb-"):
            return _Reply(200, {"ok": False, "error": "invalid_auth"})

        # Scopes come before everything else, as on Slack; nothing is missing unless a test revoked it.
        refused = self.workspace.missing_scope(method, params)
        if refused is not None:
            return _Reply(200, refused)
        with self._lock:
            custom = self._handlers.get(method)
        result = (
            {"ok": True, **custom(params)} if custom is not None else self.workspace.answer(method, params)
        )
        extra: dict[str, str] = {}
        if method == "auth.test":
            with self.workspace.lock:
                extra["x-oauth-scopes"] = ",".join(self.workspace.scopes)
        return _Reply(200, result, extra)
