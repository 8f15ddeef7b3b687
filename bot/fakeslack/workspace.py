"""The fake's Slack workspace: who the bot is, users and channels, and the built-in method answers.

Answers have the shapes real Slack gives (ids, ts strings, `message_ts` only for ephemeral posts),
so bot code that reads a field Slack does not send fails in tests rather than in production.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from bot.fakeslack.wire import maybe_json

BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
TEAM_ID = "T1"
TEAM_DOMAIN = "annobot-test"
APP_ID = "A1"

# The bot scopes the fake grants (as auth.test's x-oauth-scopes tells), and the scope each method
# needs that a test may revoke to see the app's missing_scope handling.
DEFAULT_SCOPES = (
    "chat:write",
    "commands",
    "files:write",
    "users:read",
    "users:read.email",
    "usergroups:read",
    "channels:history",
    "groups:history",
    "im:history",
    "im:write",
)
METHOD_SCOPES = {"usergroups.users.list": "usergroups:read", "conversations.open": "im:write"}
# conversations.history needs the scope of the conversation's kind (read from its id's prefix).
HISTORY_SCOPES = {"C": "channels:history", "G": "groups:history", "D": "im:history"}
HISTORY_DEFAULT_LIMIT = 100
HISTORY_MAX_LIMIT = 999  # Slack's documented maximum for internal and Marketplace apps


def default_user(user_id: str) -> dict[str, Any]:
    """The users.info record of a user nobody registered."""
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


def default_channel(channel_id: str) -> dict[str, Any]:
    """The conversations.info record of a channel nobody registered (kind read from the id prefix)."""
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


class Workspace:
    """Canned data and id/ts counters behind the built-in answers; safe to use from server threads."""

    def __init__(
        self,
        *,
        emails: Mapping[str, str] | None = None,
        channels: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        """Start with `emails` (address -> user id) and `channels` (id -> fields overriding defaults)."""
        self.lock = threading.RLock()
        self.users: dict[str, dict[str, Any]] = {}
        self.emails: dict[str, str] = dict(emails or {})
        self.channels: dict[str, dict[str, Any]] = {k: dict(v) for k, v in (channels or {}).items()}
        self.upload_names: dict[str, str] = {}
        self.upload_sizes: dict[str, int] = {}
        self.home_view_ids: dict[str, str] = {}
        self.usergroups: dict[str, list[str]] = {}
        self.scopes: list[str] = list(DEFAULT_SCOPES)
        # Each channel's messages as conversations.history gives them back, oldest first.
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self.base_url = ""  # set by the server once it knows its port; upload URLs point there
        # When set, message ts follow this clock (a test's simulated time) instead of a 2023 counter.
        self.clock: Callable[[], datetime] | None = None
        self._ids = itertools.count(1)
        # Microseconds since epoch; +100 per message keeps ts strings unique and ordered.
        self._ts_micros = 1_700_000_000_000_000

    def add_user(self, user_id: str, *, email: str | None = None, **fields: Any) -> None:
        """Register a user for users.info / users.lookupByEmail; `fields` override defaults."""
        user = default_user(user_id)
        profile = dict(user["profile"])
        if email is not None:
            profile["email"] = email
        profile.update(fields.pop("profile", {}))
        user.update(fields)
        user["profile"] = profile
        with self.lock:
            self.users[user_id] = user
            if email is not None:
                self.emails[email] = user_id

    def add_channel(self, channel_id: str, **fields: Any) -> None:
        """Register a conversation for conversations.info; `fields` override defaults."""
        channel = default_channel(channel_id)
        channel.update(fields)
        with self.lock:
            self.channels[channel_id] = channel

    def set_usergroup(self, group_id: str, users: list[str] | tuple[str, ...]) -> None:
        """Set the members usergroups.users.list answers for `group_id`."""
        with self.lock:
            self.usergroups[group_id] = list(users)

    def revoke_scope(self, scope: str) -> None:
        """Take a scope away: methods needing it answer `missing_scope`, as Slack does."""
        with self.lock:
            self.scopes = [s for s in self.scopes if s != scope]

    def missing_scope(self, method: str, params: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
        """Slack's missing_scope answer when `method` (on `params`' channel) needs a revoked scope, else None."""
        needed = METHOD_SCOPES.get(method)
        if method == "conversations.history":
            needed = HISTORY_SCOPES.get(str((params or {}).get("channel") or "")[:1])
        with self.lock:
            if needed is None or needed in self.scopes:
                return None
            provided = ",".join(self.scopes)
        return {"ok": False, "error": "missing_scope", "needed": needed, "provided": provided}

    def record_upload(self, file_id: str | None, size: int) -> bool:
        """Note the bytes sent to an upload URL; False when the URL was never handed out."""
        with self.lock:
            if file_id not in self.upload_names:
                return False
            self.upload_sizes[file_id] = size
            return True

    def answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """The built-in answer to a Web API call; methods without one answer `{"ok": true}`."""
        builtin = BUILTIN.get(method)
        return builtin(self, params) if builtin else {"ok": True}

    def next_ts(self) -> str:
        """A fresh message ts, later than every earlier one (and not before `clock`'s time, if set)."""
        now = None if self.clock is None else int(self.clock().timestamp() * 1_000_000)
        with self.lock:
            self._ts_micros = max(self._ts_micros + 100, now or 0)
            micros = self._ts_micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def next_id(self, prefix: str) -> str:
        """A fresh Slack-looking id such as `V000000003`."""
        with self.lock:
            return f"{prefix}{next(self._ids):09d}"

    def message(self, params: Mapping[str, Any], ts: str) -> dict[str, Any]:
        """The message object Slack echoes for a post or update with `params`."""
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
                message[key] = maybe_json(params[key])
        if params.get("thread_ts"):
            message["thread_ts"] = params["thread_ts"]
        return message

    def keep_message(self, channel: str, message: dict[str, Any]) -> None:
        """Remember a posted message for conversations.history."""
        with self.lock:
            self.messages.setdefault(channel, []).append(message)

    def edit_message(self, channel: str, ts: str, message: dict[str, Any] | None) -> None:
        """chat.update (the new message) or chat.delete (None) of a remembered message."""
        with self.lock:
            kept = self.messages.get(channel, [])
            for i, old in enumerate(kept):
                if old["ts"] == ts:
                    if message is None:
                        del kept[i]
                    else:
                        kept[i] = {**old, **{k: v for k, v in message.items() if k != "ts"}}
                    return

    def view(self, params: Mapping[str, Any], view_id: str, *, kind: str | None = None) -> dict[str, Any]:
        """The view object Slack answers for views.open/push/update/publish."""
        view = maybe_json(params.get("view"))
        view = dict(view) if isinstance(view, Mapping) else {}
        view_hash = self.next_ts()
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
def _auth_test(ws: Workspace, params: dict[str, Any]) -> dict[str, Any]:
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


def _dm_id(users: str) -> str:
    # Deterministic DM id per user set, so repeated opens (and posts to a user) give one channel.
    return "D" + users.replace(",", "").replace("U", "")[:12]


def _post_message(ws: Workspace, params: dict[str, Any]) -> dict[str, Any]:
    channel = params.get("channel")
    if not channel:
        return {"ok": False, "error": "channel_not_found"}
    if str(channel).startswith(("U", "W")):
        # A user id as channel: Slack opens the app's DM with that user and answers the DM's id.
        channel = _dm_id(str(channel))
    if not _has_content(params):
        return {"ok": False, "error": "no_text"}
    ts = ws.next_ts()
    message = ws.message(params, ts)
    ws.keep_message(str(channel), message)
    return {"ok": True, "channel": channel, "ts": ts, "message": message}


def _post_ephemeral(ws: Workspace, params: dict[str, Any]) -> dict[str, Any]:
    # Real Slack answers only message_ts here (no ts, no channel); mirror that so bot code that
    # reads resp["ts"] fails in tests instead of in production.
    if not params.get("channel"):
        return {"ok": False, "error": "channel_not_found"}
    if not params.get("user"):
        return {"ok": False, "error": "user_not_in_channel"}
    if not _has_content(params):
        return {"ok": False, "error": "no_text"}
    return {"ok": True, "message_ts": ws.next_ts()}


def _get_permalink(ws: Workspace, params: dict[str, Any]) -> dict[str, Any]:
    # Slack's shape: https://<domain>.slack.com/archives/<channel>/p<ts without the dot>.
    channel, ts = str(params.get("channel") or ""), str(params.get("message_ts") or "")
    if not channel:
        return {"ok": False, "error": "channel_not_found"}
    if not ts:
        return {"ok": False, "error": "message_not_found"}
    link = f"https://{TEAM_DOMAIN}.slack.com/archives/{channel}/p{ts.replace('.', '')}"
    return {"ok": True, "channel": channel, "permalink": link}


def _update(ws: Workspace, params: dict[str, Any]) -> dict[str, Any]:
    channel, ts = params.get("channel"), params.get("ts")
    if not channel:
        return {"ok": False, "error": "channel_not_found"}
    if not ts:
        return {"ok": False, "error": "message_not_found"}
    # chat.update keeps the message's ts: it echoes the one it was given.
    message = ws.message(params, str(ts))
    ws.edit_message(str(channel), str(ts), message)
    return {"ok": True, "channel": channel, "ts": str(ts), "text": message["text"], "message": message}


def _delete(ws: Workspace, params: dict[str, Any]) -> dict[str, Any]:
    if not params.get("ts"):
        return {"ok": False, "error": "message_not_found"}
    ws.edit_message(str(params.get("channel") or ""), str(params["ts"]), None)
    return {"ok": True, "channel": params.get("channel"), "ts": str(params["ts"])}


def _schedule(ws: Workspace, params: dict[str, Any]) -> dict[str, Any]:
    if not params.get("channel"):
        return {"ok": False, "error": "channel_not_found"}
    post_at = int(params.get("post_at") or 0)
    return {
        "ok": True,
        "channel": params["channel"],
        "scheduled_message_id": ws.next_id("Q"),
        "post_at": post_at,
        "message": ws.message(params, ws.next_ts()),
    }


def _views_open(ws: Workspace, params: dict[str, Any]) -> dict[str, Any]:
    return {"ok": True, "view": ws.view(params, ws.next_id("V"))}


def _views_update(ws: Workspace, params: dict[str, Any]) -> dict[str, Any]:
    view_id = params.get("view_id") or ws.next_id("V")
    return {"ok": True, "view": ws.view(params, str(view_id))}


def _views_publish(ws: Workspace, params: dict[str, Any]) -> dict[str, Any]:
    user_id = str(params.get("user_id") or "")
    with ws.lock:
        # One Home tab per user: republishing keeps its view id, as Slack does.
        view_id = ws.home_view_ids.get(user_id)
    if view_id is None:
        view_id = ws.next_id("V")
        with ws.lock:
            view_id = ws.home_view_ids.setdefault(user_id, view_id)
    return {"ok": True, "view": ws.view(params, view_id, kind="home")}


def _users_info(ws: Workspace, params: dict[str, Any]) -> dict[str, Any]:
    user_id = str(params.get("user") or "")
    if not user_id:
        return {"ok": False, "error": "user_not_found"}
    with ws.lock:
        user = ws.users.get(user_id)
    return {"ok": True, "user": user if user is not None else default_user(user_id)}


def _lookup_by_email(ws: Workspace, params: dict[str, Any]) -> dict[str, Any]:
    with ws.lock:
        user_id = ws.emails.get(str(params.get("email") or ""))
        user = ws.users.get(user_id) if user_id else None
    if user_id is None:
        return {"ok": False, "error": "users_not_found"}
    if user is None:
        user = default_user(user_id)
        user["profile"]["email"] = params["email"]
    return {"ok": True, "user": user}


def _conversations_info(ws: Workspace, params: dict[str, Any]) -> dict[str, Any]:
    channel_id = str(params.get("channel") or "")
    if not channel_id:
        return {"ok": False, "error": "channel_not_found"}
    with ws.lock:
        channel = ws.channels.get(channel_id)
    return {"ok": True, "channel": channel if channel is not None else default_channel(channel_id)}


def _flag(value: Any) -> bool:
    # slack_sdk sends booleans as "1"/"0"; JSON bodies carry true/false.
    return value is True or str(value).lower() in ("1", "true")


def _ts_bound(value: Any, default: Decimal) -> Decimal | None:
    if value in (None, ""):
        return default
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _cursor(ts: str) -> str:
    return base64.b64encode(f"next_ts:{ts}".encode()).decode()


def _from_cursor(cursor: str) -> Decimal | None:
    try:
        text = base64.b64decode(cursor, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    return _ts_bound(text.removeprefix("next_ts:"), Decimal(0)) if text.startswith("next_ts:") else None


def _history(ws: Workspace, params: dict[str, Any]) -> dict[str, Any]:
    """conversations.history: the channel's messages newest first, `limit` a page, cursor-paginated.

    As on Slack: `oldest`/`latest` bound the ts exclusively unless `inclusive`; `metadata` only with
    `include_all_metadata`; thread replies are not part of the history (conversations.replies has them).
    """
    channel = str(params.get("channel") or "")
    with ws.lock:
        info = ws.channels.get(channel) or (default_channel(channel) if channel else None)
        kept = list(ws.messages.get(channel, []))
    if info is None:
        return {"ok": False, "error": "channel_not_found"}
    if not info.get("is_member", True):
        return {"ok": False, "error": "not_in_channel"}
    oldest = _ts_bound(params.get("oldest"), Decimal(0))
    latest = _ts_bound(params.get("latest"), Decimal("Infinity"))
    if oldest is None or latest is None:
        return {"ok": False, "error": "invalid_ts_oldest" if oldest is None else "invalid_ts_latest"}
    try:
        limit = int(params.get("limit") or HISTORY_DEFAULT_LIMIT)
    except ValueError:
        return {"ok": False, "error": "invalid_limit"}
    limit = min(max(limit, 1), HISTORY_MAX_LIMIT)
    inclusive = _flag(params.get("inclusive"))

    def wanted(ts: Decimal) -> bool:
        if inclusive:
            return oldest <= ts <= latest
        return oldest < ts < latest

    found = [m for m in reversed(kept) if "thread_ts" not in m and wanted(Decimal(m["ts"]))]
    if params.get("cursor"):
        start = _from_cursor(str(params["cursor"]))
        if start is None:
            return {"ok": False, "error": "invalid_cursor"}
        found = [m for m in found if Decimal(m["ts"]) <= start]
    page, rest = found[:limit], found[limit:]
    if not _flag(params.get("include_all_metadata")):
        page = [{k: v for k, v in m.items() if k != "metadata"} for m in page]
    out: dict[str, Any] = {"ok": True, "messages": page, "has_more": bool(rest), "pin_count": 0}
    if rest:
        out["response_metadata"] = {"next_cursor": _cursor(rest[0]["ts"])}
    return out


def _conversations_open(ws: Workspace, params: dict[str, Any]) -> dict[str, Any]:
    users = str(params.get("users") or "")
    if params.get("channel"):
        return {"ok": True, "channel": {"id": params["channel"]}}
    if not users:
        return {"ok": False, "error": "users_list_not_supplied"}
    return {"ok": True, "channel": {"id": _dm_id(users)}}


def _get_upload_url(ws: Workspace, params: dict[str, Any]) -> dict[str, Any]:
    filename = params.get("filename")
    if not filename or not str(params.get("length") or "").isdigit():
        return {"ok": False, "error": "invalid_arguments"}
    file_id = ws.next_id("F")
    with ws.lock:
        ws.upload_names[file_id] = str(filename)
    return {"ok": True, "upload_url": f"{ws.base_url}/upload/{file_id}", "file_id": file_id}


def _complete_upload(ws: Workspace, params: dict[str, Any]) -> dict[str, Any]:
    entries = maybe_json(params.get("files"))
    if not isinstance(entries, list) or not entries:
        return {"ok": False, "error": "invalid_arguments"}
    result = []
    for entry in entries:
        file_id = str(entry.get("id"))
        with ws.lock:
            filename = ws.upload_names.get(file_id)
            size = ws.upload_sizes.get(file_id, 0)
        if filename is None:
            return {"ok": False, "error": "file_not_found"}
        title = entry.get("title") or filename
        result.append({"id": file_id, "name": filename, "title": title, "size": size})
    return {"ok": True, "files": result}


def _usergroups_users(ws: Workspace, params: dict[str, Any]) -> dict[str, Any]:
    # A group nobody set answers no members (the fake's answer before groups could be set).
    with ws.lock:
        users = list(ws.usergroups.get(str(params.get("usergroup") or ""), []))
    return {"ok": True, "users": users}


BUILTIN: dict[str, Callable[[Workspace, dict[str, Any]], dict[str, Any]]] = {
    "auth.test": _auth_test,
    "chat.postMessage": _post_message,
    "chat.postEphemeral": _post_ephemeral,
    "chat.getPermalink": _get_permalink,
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
    "conversations.history": _history,
    "conversations.open": _conversations_open,
    "files.getUploadURLExternal": _get_upload_url,
    "files.completeUploadExternal": _complete_upload,
    "usergroups.users.list": _usergroups_users,
}
