"""The quality digest as Slack Block Kit."""
