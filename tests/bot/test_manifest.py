"""The Slack app manifest declares what the bot's listeners need."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.config import SlackConfig
from bot.slack.flags.listeners import FLAG_COMMAND, SHORTCUT
from bot.slack.quality.listeners import QUALITY_COMMAND

MANIFEST = Path(__file__).resolve().parents[2] / "slack" / "manifest.yml"


def test_manifest_matches_the_listeners() -> None:
    m = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    guide, flag, quality = m["features"]["slash_commands"]
    assert guide["command"] == SlackConfig().command and guide["usage_hint"]
    assert flag["command"] == FLAG_COMMAND and flag["usage_hint"]
    assert quality["command"] == QUALITY_COMMAND and quality["usage_hint"]
    for command in (guide, flag, quality):
        assert command["url"].endswith("/slack/events") and len(command["description"]) <= 100
    [shortcut] = m["features"]["shortcuts"]
    assert (shortcut["type"], shortcut["callback_id"]) == ("message", SHORTCUT)
    assert len(shortcut["name"]) <= 24 and len(shortcut["description"]) <= 150
    assert set(m["settings"]["event_subscriptions"]["bot_events"]) == {"app_home_opened", "app_mention"}
    assert m["settings"]["interactivity"]["is_enabled"] is True
    # The flag form's external selects load their options from the same URL (bolt answers them).
    assert m["settings"]["interactivity"]["message_menu_options_url"].endswith("/slack/events")
    # Flag confirmations may come by DM: the Messages tab shows them, read-only.
    assert m["features"]["app_home"]["messages_tab_enabled"] is True
    assert m["features"]["app_home"]["messages_tab_read_only_enabled"] is True
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
        # A retried scheduled digest looks for its unrecorded post (bot/jobs/schedule.py).
        "channels:history",
        "groups:history",
        # The same in a lead's DM (leads-dm): the DM opened, then its history read.
        "im:write",
        "im:history",
    }
    assert len(m["display_information"]["name"]) <= 35
