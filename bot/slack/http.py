"""The HTTP edge in front of Bolt: read, verify, parse and claim every request, then dispatch it.

Bolt's own verification and parsing are not used (`request_verification_enabled=False` in
`bot.slack.app.create_app`): Bolt parsed the body before verifying it (a bad body was a 500 with a
traceback) and its error handler could then post to a `response_url` from an unverified body. Here
nothing of the body is read before its signature holds, so no unverified request reaches Bolt:

1. the body is read up to `MAX_BODY_BYTES` (413 beyond);
2. the v0 signature is checked over the raw bytes (`bot.slack.signing`): 401 otherwise;
3. the body is parsed by its kind (`bot.slack.request`): 400 / 415 for a body that is not Slack's;
4. a command or interaction carries a claim by its signature (`bot.store.events.claim_request`),
   which the work after the ack makes first (`bot.slack.edge.guarded`), so the same signed request
   delivered twice acts once (events keep their event_id dedupe);
5. Bolt gets the parsed dict.

Refusals log one line with the reason, never the body, and call nothing.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse
from slack_bolt.request.internals import build_context
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.errors import StoreError
from bot.slack.app import AnnobotApp
from bot.slack.edge import REPLAY_CLAIM
from bot.slack.request import BadRequest, is_form, parse_body
from bot.slack.signing import WINDOW_S, Unverified, verify
from bot.store.events import claim_request, prune_requests

log = logging.getLogger("annobot.slack.http")

# Slack's largest bodies are view submissions carrying a whole modal (100 blocks): well under this.
MAX_BODY_BYTES = 1 << 20
# Replay keys older than the window are deleted at most this often per process.
PRUNE_EVERY_S = 60.0


def _response(status: int, payload: Mapping[str, Any] | None = None) -> BoltResponse:
    if payload is None:
        return BoltResponse(status=status, body="")
    return BoltResponse(status=status, body=json.dumps(payload), headers={"content-type": "application/json"})


class VerifiedRequest(BoltRequest):
    """A Bolt HTTP request built from a body already verified and parsed here.

    Bolt's HTTP requests take only the raw text and parse it themselves (with the guess this module
    replaces), so the parsed dict and the context built from it are set after construction.
    """

    def __init__(
        self,
        *,
        raw_body: str,
        body: dict[str, Any],
        query: str | dict[str, Sequence[str]],
        headers: dict[str, Sequence[str]],
    ) -> None:
        """`raw_body` is kept for Bolt's record; `body` is what listeners get."""
        super().__init__(body="", query=query, headers=dict(headers))
        self.raw_body = raw_body
        self.body = body
        self.context = build_context(BoltContext({}), body)

    def to_copyable(self) -> BoltRequest:
        """A copy (Bolt's lazy listeners) keeping the parsed body, not re-parsing the raw one."""
        copy = VerifiedRequest(raw_body=self.raw_body, body=self.body, query=self.query, headers=self.headers)
        copy.context = self.context.to_copyable()
        return copy


def request_key(timestamp: int, signature: str) -> str:
    """The replay key of a signed request: one per (timestamp, signature), so one per signed body."""
    return hashlib.sha256(f"{timestamp}:{signature}".encode()).hexdigest()


class SlackEdge:
    """Verifies, parses and deduplicates Slack's requests before `app` sees them (HTTP and console)."""

    def __init__(
        self, app: App, secret: str, engine: Engine, *, clock: Callable[[], float] = time.time
    ) -> None:
        """`secret` is the app's signing secret; `engine` holds the replay keys."""
        self.app = app
        self.secret = secret
        self.engine = engine
        self.clock = clock
        self._pruned_at = 0.0
        self._prune_lock = threading.Lock()

    def handle(self, raw: bytes, headers: Mapping[str, str], query: str = "") -> BoltResponse:
        """Answer one request: `headers` with lower-case names, `raw` the body exactly as received."""
        now = self.clock()
        signature = headers.get("x-slack-signature")
        try:
            timestamp = verify(self.secret, headers.get("x-slack-request-timestamp"), signature, raw, now)
        except Unverified as exc:
            log.warning("refused a Slack request (401): %s", exc.reason)
            return _response(401, {"error": "request signature not verified"})
        content_type = headers.get("content-type")
        try:
            body = parse_body(raw, content_type)
        except BadRequest as exc:
            log.warning("refused a signed Slack request (%d): %s", exc.status, exc.reason)
            return _response(exc.status, {"error": exc.reason})
        bolt_headers = {name: [value] for name, value in headers.items()}
        # Decoding cannot fail: parse_body did it already.
        request = VerifiedRequest(raw_body=raw.decode(), body=body, query=query, headers=bolt_headers)
        if is_form(content_type) and body.get("ssl_check") != "1":
            # Commands and interactions act after the ack (bot.slack.edge.guarded), which claims
            # the request first: the same signed request delivered twice acts once.
            key = request_key(timestamp, str(signature))
            request.context[REPLAY_CLAIM] = functools.partial(self._claim, key, timestamp, now)
        return self.app.dispatch(request)

    def _claim(self, key: str, timestamp: int, now: float) -> bool:
        """Record the request; False for a replay. A claim that cannot be recorded is a StoreError."""
        try:
            fresh = claim_request(self.engine, key, datetime.fromtimestamp(timestamp, UTC))
        except SQLAlchemyError as exc:
            # Acting without the claim could act twice: refuse, and the user is told why.
            raise StoreError("the database is unavailable: the request was not carried out") from exc
        if fresh:
            self._prune(now)
        return fresh

    def _prune(self, now: float) -> None:
        with self._prune_lock:
            if now - self._pruned_at < PRUNE_EVERY_S:
                return
            self._pruned_at = now
        try:
            prune_requests(self.engine, datetime.fromtimestamp(now - WINDOW_S, UTC))
        except SQLAlchemyError:
            # Old keys only take space; the next prune removes them.
            log.warning("could not prune old Slack request keys", exc_info=True)

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        """`handle` for an in-process request (the console): its raw body and headers, as sent."""
        headers = {name.lower(): values[0] for name, values in req.headers.items() if values}
        return self.handle(req.raw_body.encode(), headers)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """The WSGI app of `POST /slack/events`."""
        raw, refusal = _read_body(environ)
        response = refusal or self.handle(raw, _headers(environ), environ.get("QUERY_STRING", ""))
        data = (response.body or "").encode() if isinstance(response.body, str) else bytes(response.body)
        try:
            status = f"{response.status} {HTTPStatus(response.status).phrase}"
        except ValueError:  # a status without a standard phrase
            status = f"{response.status} Status"
        out = [(k, v) for k, values in response.headers.items() if k != "content-length" for v in values]
        out.append(("Content-Length", str(len(data))))
        start_response(status, out)
        return [data]


def edge_for(app: AnnobotApp) -> SlackEdge:
    """The edge in front of an app from `create_app`, with its signing secret and engine."""
    if not isinstance(app, AnnobotApp):
        # A plain App verifies by itself, and would find no raw body to verify.
        raise TypeError("the Slack edge serves the app bot.slack.app.create_app builds")
    return SlackEdge(app, app.signing_secret, app.engine)


def _read_body(environ: Mapping[str, Any]) -> tuple[bytes, BoltResponse | None]:
    length_header = str(environ.get("CONTENT_LENGTH") or "0")
    if not length_header.isascii() or not length_header.isdigit():
        log.warning("refused a Slack request (400): bad Content-Length")
        return b"", _response(400, {"error": "bad Content-Length"})
    length = int(length_header)
    if length > MAX_BODY_BYTES:
        log.warning("refused a Slack request (413): body of %d bytes", length)
        return b"", _response(413, {"error": f"body over {MAX_BODY_BYTES} bytes"})
    try:
        raw = environ["wsgi.input"].read(length) if length else b""
    except (OSError, ValueError):
        log.warning("refused a Slack request (400): body could not be read")
        return b"", _response(400, {"error": "body could not be read"})
    if len(raw) != length:
        log.warning("refused a Slack request (400): body shorter than Content-Length")
        return b"", _response(400, {"error": "body shorter than Content-Length"})
    return raw, None


def _headers(environ: Mapping[str, Any]) -> dict[str, str]:
    """Request headers with lower-case names, as Bolt and `SlackEdge.handle` expect them."""
    headers = {
        key[5:].replace("_", "-").lower(): str(value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers[key.replace("_", "-").lower()] = str(environ[key])
    return headers
