"""The Slack app manifest declares what the bot's listeners need."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.config import SlackConfig

MANIFEST = Path(__file__).resolve().parents[2] / "slack" / "manifest.yml"


def test_manifest_matches_the_listeners() -> None:
    m = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    [command] = m["features"]["slash_commands"]
    assert command["command"] == SlackConfig().command and command["usage_hint"]
    assert command["url"].endswith("/slack/events")
    assert set(m["settings"]["event_subscriptions"]["bot_events"]) == {"app_home_opened", "app_mention"}
    assert m["settings"]["interactivity"]["is_enabled"] is True
    assert m["features"]["app_home"]["home_tab_enabled"] is True
    assert m["settings"]["socket_mode_enabled"] is True
    assert set(m["oauth_config"]["scopes"]["bot"]) == {
        "commands",
        "chat:write",
        "chat:write.public",
        "app_mentions:read",
        "users:read",
        "users:read.email",
        "files:write",
        "usergroups:read",  # leads and managers given as user groups (bot/authz/groups.py)
    }
    assert len(m["display_information"]["name"]) <= 35
