"""Signed Slack request bodies the console sends to the app: slash commands, button clicks, mentions.

Built as Slack builds them (form-encoded commands, `payload=` JSON interactions, JSON events) and
signed with Slack's v0 scheme, so they pass the app's real request verification.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import urlencode

from slack_bolt import BoltRequest

from bot.fakeslack import APP_ID, TEAM_DOMAIN, TEAM_ID

# The workspace and app are the fake's, so these requests agree with what its auth.test answers.
API_APP_ID = APP_ID
USER_ID = "UCONSOLE"
USER_NAME = "console"
CHANNEL_ID = "CCONSOLE"
CHANNEL_NAME = "console"
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def signed_request(secret: str, body: str, content_type: str) -> BoltRequest:
    """A BoltRequest carrying `body` with Slack's v0 signature headers."""
    ts = str(int(time.time()))
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    headers = {
        "content-type": [content_type],
        "x-slack-request-timestamp": [ts],
        "x-slack-signature": [f"v0={digest}"],
    }
    return BoltRequest(body=body, headers=headers)


def _trigger_id() -> str:
    return f"{time.time():.6f}.console"


def slack_escaped(typed: str) -> str:
    """What Slack's client sends for typed text: `&`, `<` and `>` as entities (markup is never typed)."""
    return typed.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slash_command(command: str, text: str, response_url: str) -> str:
    """Form-encoded slash-command body for `text` as typed."""
    return urlencode(
        {
            "token": "console",
            "team_id": TEAM_ID,
            "team_domain": TEAM_DOMAIN,
            "channel_id": CHANNEL_ID,
            "channel_name": CHANNEL_NAME,
            "user_id": USER_ID,
            "user_name": USER_NAME,
            "command": command,
            "text": slack_escaped(text),
            "api_app_id": API_APP_ID,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": _trigger_id(),
        }
    )


def block_action(
    action_id: str,
    value: str | None,
    label: str,
    block_id: str,
    message: dict[str, Any],
    response_url: str,
    *,
    is_ephemeral: bool,
) -> str:
    """`payload=` body for a click on a message button."""
    now = time.time()
    message_ts = str(message.get("ts") or f"{now:.6f}")
    action: dict[str, Any] = {
        "action_id": action_id,
        "block_id": block_id or "console",
        "type": "button",
        "text": {"type": "plain_text", "text": label, "emoji": True},
        "action_ts": f"{now:.6f}",
    }
    if value is not None:
        action["value"] = value
    payload = {
        "type": "block_actions",
        "user": {"id": USER_ID, "username": USER_NAME, "name": USER_NAME, "team_id": TEAM_ID},
        "api_app_id": API_APP_ID,
        "token": "console",
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": CHANNEL_ID,
            "is_ephemeral": is_ephemeral,
        },
        "trigger_id": _trigger_id(),
        "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": CHANNEL_ID, "name": CHANNEL_NAME},
        "message": {"type": "message", "ts": message_ts, "text": message.get("text", ""), "blocks": []},
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [action],
    }
    return urlencode({"payload": json.dumps(payload)})


def app_mention(text: str, bot_user_id: str, event_id: str) -> str:
    """Events API envelope for `@annobot TEXT` typed in the console channel (`TEXT` as typed)."""
    now = time.time()
    event = {
        "type": "app_mention",
        "user": USER_ID,
        "text": f"<@{bot_user_id}> {slack_escaped(text)}",
        "ts": f"{now:.6f}",
        "channel": CHANNEL_ID,
        "event_ts": f"{now:.6f}",
    }
    return json.dumps(
        {
            "type": "event_callback",
            "token": "console",
            "team_id": TEAM_ID,
            "api_app_id": API_APP_ID,
            "event": event,
            "event_id": event_id,
            "event_time": int(now),
            "authorizations": [
                {"team_id": TEAM_ID, "user_id": bot_user_id, "is_bot": True, "is_enterprise_install": False}
            ],
        }
    )
