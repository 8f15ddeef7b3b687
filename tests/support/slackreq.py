"""Build and sign inbound Slack requests (commands, interactions, events) exactly as Slack does.

Bodies are the raw strings Slack would POST; ``sign()`` produces the v0 signature headers over that
exact string. Use them with ``app.dispatch(BoltRequest(body=..., headers=...))`` or send them to a
running app over loopback with ``post()`` / ``SlackHttpClient``.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

__all__ = [
    "UNSET_RESPONSE_URL",
    "SlackHttpClient",
    "block_actions_body",
    "event_body",
    "options_body",
    "post",
    "raw_post",
    "shortcut_body",
    "sign",
    "sign_raw",
    "slash_command_body",
    "url_verification_body",
    "view_submission_body",
]

TEAM_ID = "T111"
TEAM_DOMAIN = "acme"
API_APP_ID = "A111"
USER_ID = "U111"
CHANNEL_ID = "C111"
TRIGGER_ID = "111.222.valid"
# A default response_url must never point at hooks.slack.com (a forgotten override would reach the
# internet). Port 9 on loopback refuses connections at once, so the mistake fails fast and locally.
UNSET_RESPONSE_URL = "http://127.0.0.1:9/response/unset"

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def sign(
    secret: str, body: str, timestamp: int | None = None, *, content_type: str | None = None
) -> dict[str, str]:
    """Slack's request headers for ``body``: v0 HMAC-SHA256 signature, timestamp, Content-Type."""
    ts = int(time.time()) if timestamp is None else int(timestamp)
    base = f"v0:{ts}:{body}".encode()
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    if content_type is None:
        # Events arrive as JSON; commands and interactions as form posts.
        content_type = JSON if body.lstrip().startswith("{") else FORM
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": f"v0={digest}",
    }


def sign_raw(secret: str, timestamp: str, body: bytes) -> str:
    """The v0 signature over raw bytes with any timestamp text (for malformed-timestamp cases)."""
    base = b"v0:" + timestamp.encode("utf-8") + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def slash_command_body(
    command: str,
    text: str = "",
    *,
    user_id: str = USER_ID,
    user_name: str = "ann",
    channel_id: str = CHANNEL_ID,
    channel_name: str = "labeling",
    response_url: str = UNSET_RESPONSE_URL,
    trigger_id: str = TRIGGER_ID,
    team_id: str = TEAM_ID,
    team_domain: str = TEAM_DOMAIN,
    api_app_id: str = API_APP_ID,
    **extra: str,
) -> str:
    """Form-encoded slash-command body; any ``text`` round-trips through ``parse_qs``."""
    fields = {
        "token": "deprecated-verification-token",
        "team_id": team_id,
        "team_domain": team_domain,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": api_app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
        **extra,
    }
    return urlencode(fields)


def _payload_body(payload: Mapping[str, Any]) -> str:
    # Interactions are a single form field holding the JSON payload.
    return urlencode({"payload": json.dumps(payload)})


def _user(user_id: str, team_id: str) -> dict[str, str]:
    return {"id": user_id, "username": user_id.lower(), "name": user_id.lower(), "team_id": team_id}


def block_actions_body(
    action_id: str,
    value: str | None,
    user_id: str = USER_ID,
    response_url: str | None = UNSET_RESPONSE_URL,
    *,
    channel_id: str = CHANNEL_ID,
    container: Mapping[str, Any] | None = None,
    trigger_id: str = TRIGGER_ID,
    view: Mapping[str, Any] | None = None,
    block_id: str = "b1",
    action_type: str = "button",
    message: Mapping[str, Any] | None = None,
    state_values: Mapping[str, Any] | None = None,
    team_id: str = TEAM_ID,
    action: Mapping[str, Any] | None = None,
) -> str:
    """``payload=`` body for a block_actions interaction from a message or (with ``view``) a view.

    ``action`` replaces the generated action dict entirely (e.g. for selects with
    ``selected_option``); ``response_url=None`` omits it, as Slack does for modal actions.
    """
    message_ts = "1700000000.000100"
    if message is not None:
        message_ts = str(message.get("ts", message_ts))
    if container is None:
        if view is not None:
            container = {"type": "view", "view_id": view.get("id", "V111")}
        else:
            container = {
                "type": "message",
                "message_ts": message_ts,
                "channel_id": channel_id,
                "is_ephemeral": False,
            }
    if action is None:
        action = {
            "action_id": action_id,
            "block_id": block_id,
            "type": action_type,
            "action_ts": f"{int(time.time())}.000001",
        }
        if action_type == "button":
            action["text"] = {"type": "plain_text", "text": action_id, "emoji": True}
        if value is not None:
            action["value"] = value
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": _user(user_id, team_id),
        "api_app_id": API_APP_ID,
        "token": "deprecated-verification-token",
        "container": dict(container),
        "trigger_id": trigger_id,
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "state": {"values": dict(state_values or {})},
        "actions": [dict(action)],
    }
    if view is not None:
        payload["view"] = dict(view)
    else:
        payload["channel"] = {"id": channel_id, "name": "labeling"}
        payload["message"] = dict(
            message
            or {
                "type": "message",
                "user": "UBOT",
                "bot_id": "BBOT",
                "text": "",
                "ts": message_ts,
                "blocks": [],
            }
        )
    if response_url is not None:
        payload["response_url"] = response_url
    return _payload_body(payload)


def view_submission_body(
    callback_id: str,
    state_values: Mapping[str, Any],
    private_metadata: str = "",
    user_id: str = USER_ID,
    *,
    view_id: str = "V111",
    trigger_id: str = TRIGGER_ID,
    response_urls: list[dict[str, Any]] | None = None,
    team_id: str = TEAM_ID,
    view_extra: Mapping[str, Any] | None = None,
) -> str:
    """``payload=`` body for a modal submit; ``state_values`` is ``{block_id: {action_id: {...}}}``."""
    view: dict[str, Any] = {
        "id": view_id,
        "team_id": team_id,
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": private_metadata,
        "blocks": [],
        "state": {"values": dict(state_values)},
        "hash": "1700000000.fakehash",
        "root_view_id": view_id,
        "previous_view_id": None,
        "app_id": API_APP_ID,
        "bot_id": "BBOT",
        "external_id": "",
        **(view_extra or {}),
    }
    payload = {
        "type": "view_submission",
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "user": _user(user_id, team_id),
        "api_app_id": API_APP_ID,
        "token": "deprecated-verification-token",
        "trigger_id": trigger_id,
        "view": view,
        "response_urls": list(response_urls or []),
        "enterprise": None,
        "is_enterprise_install": False,
    }
    return _payload_body(payload)


def shortcut_body(
    callback_id: str,
    user_id: str = USER_ID,
    *,
    trigger_id: str = TRIGGER_ID,
    message: Mapping[str, Any] | None = None,
    channel_id: str = CHANNEL_ID,
    response_url: str = UNSET_RESPONSE_URL,
    team_id: str = TEAM_ID,
) -> str:
    """Global shortcut body, or a message shortcut (``message_action``) when ``message`` is given."""
    payload: dict[str, Any] = {
        "type": "shortcut",
        "token": "deprecated-verification-token",
        "action_ts": f"{int(time.time())}.000001",
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "user": _user(user_id, team_id),
        "callback_id": callback_id,
        "trigger_id": trigger_id,
    }
    if message is not None:
        # Only message shortcuts carry a channel, the message and a response_url.
        payload.update(
            type="message_action",
            channel={"id": channel_id, "name": "labeling"},
            message=dict(message),
            message_ts=message.get("ts"),
            response_url=response_url,
        )
    return _payload_body(payload)


def options_body(
    action_id: str,
    value: str,
    user_id: str = USER_ID,
    *,
    block_id: str = "b1",
    trigger_id: str = TRIGGER_ID,
    team_id: str = TEAM_ID,
) -> str:
    """``payload=`` body for an options load (``block_suggestion``) of an external select."""
    payload = {
        "type": "block_suggestion",
        "user": _user(user_id, team_id),
        "container": {"type": "message", "message_ts": "1700000000.000100", "channel_id": CHANNEL_ID},
        "api_app_id": API_APP_ID,
        "token": "deprecated-verification-token",
        "action_id": action_id,
        "block_id": block_id,
        "value": value,
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": CHANNEL_ID, "name": "labeling"},
        "trigger_id": trigger_id,
    }
    return _payload_body(payload)


def event_body(
    event: Mapping[str, Any],
    event_id: str = "Ev111",
    *,
    team_id: str = TEAM_ID,
    api_app_id: str = API_APP_ID,
    event_time: int | None = None,
    bot_user_id: str = "UBOT",
) -> str:
    """Events API ``event_callback`` envelope (JSON string) around ``event``."""
    envelope = {
        "type": "event_callback",
        "token": "deprecated-verification-token",
        "team_id": team_id,
        "api_app_id": api_app_id,
        "event": dict(event),
        "event_context": f"EC-{event_id}",
        "event_id": event_id,
        "event_time": int(time.time()) if event_time is None else event_time,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "context_team_id": team_id,
        "context_enterprise_id": None,
    }
    return json.dumps(envelope)


def url_verification_body(challenge: str) -> str:
    """The Events API URL-verification handshake body."""
    return json.dumps(
        {"type": "url_verification", "token": "deprecated-verification-token", "challenge": challenge}
    )


def _require_loopback(url: str) -> None:
    host = urlsplit(url).hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"post() only talks to loopback test servers, not {url!r}")


# No ProxyHandler entries: an HTTP(S)_PROXY in the environment must not capture loopback traffic.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def post(
    url: str, body: str | bytes, headers: Mapping[str, str], timeout: float = 5
) -> tuple[int, dict[str, str], str]:
    """POST ``body`` to a loopback ``url``; returns (status, lower-cased headers, text) for any status."""
    _require_loopback(url)
    data = body.encode() if isinstance(body, str) else body
    request = urllib.request.Request(url, data=data, headers=dict(headers), method="POST")
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return response.status, _lower(response.headers), response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as err:
        # 4xx/5xx are answers under test, not transport failures.
        with err:
            return err.code, _lower(err.headers), err.read().decode("utf-8", "replace")


def raw_post(
    url: str, body: bytes, headers: Mapping[str, str | bytes], timeout: float = 5
) -> tuple[int, str]:
    """POST exactly these header bytes and body (no Content-Type added): (status, text).

    ``urllib`` adds a form Content-Type and encodes header values as Latin-1; malformed-request
    tests need neither. Content-Length is added unless given.
    """
    _require_loopback(url)
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
    try:
        conn.putrequest("POST", parts.path or "/", skip_accept_encoding=True)
        names = {name.lower() for name in headers}
        for name, value in headers.items():
            conn.putheader(name, value)
        if "content-length" not in names:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        conn.close()


def _lower(headers: Any) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


class SlackHttpClient:
    """Sends signed Slack requests to a running app (e.g. ``http://127.0.0.1:PORT/slack/events``)."""

    def __init__(self, base_url: str, secret: str, *, timeout: float = 5) -> None:
        """``base_url``: the app's request URL (e.g. ``.../slack/events``); ``secret`` signs requests."""
        _require_loopback(base_url)
        self.url = base_url
        self.secret = secret
        self.timeout = timeout

    def send(
        self,
        body: str,
        *,
        timestamp: int | None = None,
        headers: Mapping[str, str] | None = None,
        path: str = "",
    ) -> tuple[int, dict[str, str], str]:
        """Sign and POST a raw body; ``headers`` are added after signing (they can override)."""
        all_headers = sign(self.secret, body, timestamp)
        all_headers.update(headers or {})
        url = urljoin(self.url, path) if path else self.url
        return post(url, body, all_headers, timeout=self.timeout)

    def command(self, command: str, text: str = "", **kwargs: Any) -> tuple[int, dict[str, str], str]:
        """Send a slash command (``kwargs`` go to ``slash_command_body``)."""
        return self.send(slash_command_body(command, text, **kwargs))

    def action(
        self, action_id: str, value: str | None = None, **kwargs: Any
    ) -> tuple[int, dict[str, str], str]:
        """Send a block_actions interaction (``kwargs`` go to ``block_actions_body``)."""
        return self.send(block_actions_body(action_id, value, **kwargs))

    def submit(
        self, callback_id: str, state_values: Mapping[str, Any], **kwargs: Any
    ) -> tuple[int, dict[str, str], str]:
        """Send a view_submission (``kwargs`` go to ``view_submission_body``)."""
        return self.send(view_submission_body(callback_id, state_values, **kwargs))

    def shortcut(self, callback_id: str, **kwargs: Any) -> tuple[int, dict[str, str], str]:
        """Send a global or message shortcut (``kwargs`` go to ``shortcut_body``)."""
        return self.send(shortcut_body(callback_id, **kwargs))

    def event(
        self,
        event: Mapping[str, Any],
        event_id: str = "Ev111",
        *,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
        **kwargs: Any,
    ) -> tuple[int, dict[str, str], str]:
        """Send an Events API callback; ``retry_num`` adds Slack's retry headers."""
        extra: dict[str, str] = {}
        if retry_num is not None:
            extra = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason}
        return self.send(event_body(event, event_id, **kwargs), headers=extra)
