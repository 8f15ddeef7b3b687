"""HTTP mode: one WSGI app for Slack's requests, a health check and mounted hooks, served by waitress.

Routes: `POST /slack/events` (commands, interactions and events: verified and parsed by
`bot.slack.http.SlackEdge`, then handed to Bolt), `GET /healthz` (the
database answers `SELECT 1`), and any WSGI app mounted under a path prefix, e.g.
`mounts={"/hooks/label-studio": label_studio_app}`.
"""

from __future__ import annotations

import gc
import json
import logging
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import waitress
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from waitress import wasyncore

from bot.slack.app import AnnobotApp
from bot.slack.http import edge_for
from bot.store.db import ping

log = logging.getLogger("annobot.server")

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
SLACK_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
# Waitress worker threads: each holds one request until Bolt has acked it.
THREADS = 16
# Acks are latency-bound while answers are CPU-bound: a waiting thread gets the GIL after at most
# this long (CPython's default is 5 ms, which several busy answer threads turn into ack delays).
SWITCH_INTERVAL_S = 0.0005


def tune_for_latency() -> None:
    """Let request threads (acks) take the GIL from busy answer threads sooner; freeze start-up objects.

    Everything built before serving (modules, the Bolt app, SQLAlchemy's metadata) lives as long as
    the process; `gc.freeze()` moves it out of the collector's reach, so that a full collection scans
    only what requests created since. Without it a full collection held the GIL for 130-145 ms in
    the request process under 20 concurrent clients: every ack in flight waited (BENCHMARKS.md).
    """
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    gc.collect()
    gc.freeze()


def _json(start_response: Callable[..., Any], status: str, payload: dict[str, Any]) -> list[bytes]:
    data = json.dumps(payload).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def database_ok(engine: Engine) -> bool:
    """True when the database answers `SELECT 1`."""
    try:
        ping(engine)
        return True
    except SQLAlchemyError as exc:
        log.warning("health check: database unreachable: %s", exc)
        return False


def make_wsgi_app(
    bolt_app: AnnobotApp, engine: Engine, mounts: Mapping[str, WSGIApp] | None = None
) -> WSGIApp:
    """The WSGI app of HTTP mode; `mounts` maps a path prefix to another WSGI app."""
    slack = edge_for(bolt_app)
    prefixes = sorted(((p.rstrip("/"), a) for p, a in (mounts or {}).items()), key=lambda m: -len(m[0]))

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        method = environ.get("REQUEST_METHOD", "GET")
        if path == SLACK_PATH:
            if method != "POST":
                return _json(start_response, "405 Method Not Allowed", {"error": "POST only"})
            return slack(environ, start_response)
        if path == HEALTH_PATH:
            if database_ok(engine):
                return _json(start_response, "200 OK", {"ok": True})
            return _json(
                start_response, "503 Service Unavailable", {"ok": False, "error": "database unreachable"}
            )
        for prefix, sub in prefixes:
            if path == prefix or path.startswith(prefix + "/"):
                # The mounted app sees its own paths, as under any WSGI mount.
                environ = {
                    **environ,
                    "SCRIPT_NAME": environ.get("SCRIPT_NAME", "") + prefix,
                    "PATH_INFO": path[len(prefix) :],
                }
                return sub(environ, start_response)
        return _json(start_response, "404 Not Found", {"error": "not found"})

    return application


class BackgroundServer:
    """A waitress server running in a thread (tests, benchmarks); `stop()` shuts it down cleanly."""

    def __init__(self, app: WSGIApp, host: str = "127.0.0.1", port: int = 0, threads: int = THREADS) -> None:
        """Bind now (port 0 = an ephemeral port); serving starts with `start()`."""
        self.server: Any = waitress.create_server(app, host=host, port=port, threads=threads, ident="annobot")
        self.port = int(self.server.effective_port)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"annobot-http:{self.port}", daemon=True)

    def _loop(self) -> None:
        # waitress's own run() loops until interrupted; this loop checks a flag between polls so that
        # closing happens on this thread, never racing the event loop from another one.
        server = self.server
        while not self._stopping.is_set():
            wasyncore.loop(timeout=0.05, map=server._map, use_poll=True, count=1)
        server.task_dispatcher.shutdown()
        wasyncore.close_all(server._map)

    def start(self) -> BackgroundServer:
        """Serve in the background thread."""
        tune_for_latency()
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, finish the worker threads and close every socket."""
        self._stopping.set()
        self._thread.join(timeout=10)


def serve_in_thread(
    app: WSGIApp, host: str = "127.0.0.1", port: int = 0, threads: int = THREADS
) -> tuple[BackgroundServer, int]:
    """Start serving `app` in a thread; returns the server (call `.stop()`) and the bound port."""
    server = BackgroundServer(app, host, port, threads).start()
    return server, server.port


def serve(app: WSGIApp, host: str, port: int, threads: int = THREADS) -> None:
    """Serve `app` in the foreground until interrupted."""
    tune_for_latency()
    server = waitress.create_server(app, host=host, port=port, threads=threads, ident="annobot")
    log.info("annobot listening on http://%s:%s%s", host, server.effective_port, SLACK_PATH)
    server.run()
