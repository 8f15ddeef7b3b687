"""Slack user-group members (`usergroups.users.list`), cached per process with an expiry.

The cache only saves Slack calls: each replica keeps its own and nothing depends on it being
shared. A group Slack will not list (the app lacks `usergroups:read`, the group is gone, Slack is
down) counts as empty, so its members are denied, never crashed on, and one clear line is logged;
such failures are cached for a shorter while so that a fixed scope or a recovered Slack is noticed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

log = logging.getLogger(__name__)

USERGROUPS_SCOPE = "usergroups:read"
DEFAULT_TTL = 300.0  # seconds a group's members are trusted: role changes show within 5 minutes
ERROR_TTL = 30.0  # seconds a failed lookup is trusted before Slack is asked again


@dataclass(frozen=True)
class _Entry:
    members: frozenset[str]
    expires: float


class GroupResolver:
    """Members of Slack user groups by id, through a WebClient, each group cached for `ttl` seconds."""

    def __init__(
        self,
        client: WebClient,
        *,
        ttl: float = DEFAULT_TTL,
        error_ttl: float = ERROR_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Resolve with `client`; `clock` (seconds, monotonic) is injectable for tests."""
        self._client = client
        self._ttl = ttl
        self._error_ttl = error_ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._cache: dict[str, _Entry] = {}

    def __call__(self, group_id: str) -> frozenset[str]:
        """The group's member ids (empty when Slack cannot tell); cached until the entry expires."""
        now = self._clock()
        with self._lock:
            entry = self._cache.get(group_id)
        if entry is not None and now < entry.expires:
            return entry.members
        # Fetched outside the lock: two threads may both ask Slack once, which is harmless.
        members, ok = self._fetch(group_id)
        with self._lock:
            self._cache[group_id] = _Entry(members, now + (self._ttl if ok else self._error_ttl))
        return members

    def forget(self) -> None:
        """Drop every cached group (the next lookup asks Slack)."""
        with self._lock:
            self._cache.clear()

    def _fetch(self, group_id: str) -> tuple[frozenset[str], bool]:
        try:
            response = self._client.usergroups_users_list(usergroup=group_id)
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else None
            if error == "missing_scope":
                needed = exc.response.get("needed") or USERGROUPS_SCOPE
                log.warning(
                    "Slack user group %s counts as empty: the app lacks the %s scope "
                    "(usergroups.users.list answered missing_scope); add %s to the bot scopes "
                    "(slack/manifest.yml) and reinstall the app",
                    group_id,
                    needed,
                    needed,
                )
            else:
                log.warning(
                    "Slack user group %s counts as empty: usergroups.users.list answered %s",
                    group_id,
                    error or "an error",
                )
            return frozenset(), False
        except (SlackClientError, OSError, ValueError) as exc:
            # Network trouble or an unreadable answer: deny for now, try again after error_ttl.
            log.warning(
                "Slack user group %s counts as empty: usergroups.users.list failed (%s: %s)",
                group_id,
                type(exc).__name__,
                exc,
            )
            return frozenset(), False
        users = response.get("users")
        if not isinstance(users, list):
            log.warning(
                "Slack user group %s counts as empty: usergroups.users.list answered no user list",
                group_id,
            )
            return frozenset(), False
        return frozenset(u for u in users if isinstance(u, str)), True
