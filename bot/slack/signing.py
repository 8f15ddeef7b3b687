"""Slack's v0 request signature, checked before anything reads the body.

https://api.slack.com/authentication/verifying-requests-from-slack: the signature is
`v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{raw body}` under the app's signing secret, and the
timestamp (Unix seconds, `X-Slack-Request-Timestamp`) must be within five minutes of our clock.
Everything here is strict: only ASCII digits, only lower-case hex of the right length, compared in
constant time. A malformed header is the same refusal as a wrong signature.
"""

from __future__ import annotations

import hashlib
import hmac
import re

# Slack's replay window: a signed request older (or newer) than this is refused, so a request
# key only has to be remembered this long (bot.store.events.claim_request).
WINDOW_S = 300
# ASCII digits only: int() also accepts '١٢٣', '+12', ' 12 ' and '1_000', none of which Slack sends.
# Ten or eleven digits cover every Unix time from 2001 to 5138; longer is not a time.
_TIMESTAMP = re.compile(r"[0-9]{1,11}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


class Unverified(Exception):
    """The request does not carry a valid Slack signature; `reason` says why (never the body)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The `X-Slack-Signature` Slack sends for `body` at `timestamp`."""
    base = b"v0:" + timestamp.encode("ascii") + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def verify(secret: str, timestamp: str | None, sig: str | None, body: bytes, now: float) -> int:
    """Check the signature headers over the raw `body`; the timestamp as an int, or `Unverified`."""
    if not secret:
        # An empty secret would make every forger's HMAC right.
        raise Unverified("no signing secret configured")
    if timestamp is None or not _TIMESTAMP.fullmatch(timestamp):
        raise Unverified("missing or malformed X-Slack-Request-Timestamp")
    ts = int(timestamp)
    if abs(now - ts) > WINDOW_S:
        raise Unverified("X-Slack-Request-Timestamp outside the 5-minute window")
    if sig is None or not _SIGNATURE.fullmatch(sig):
        raise Unverified("missing or malformed X-Slack-Signature")
    if not hmac.compare_digest(signature(secret, timestamp, body), sig):
        raise Unverified("signature mismatch")
    return ts
