"""Scheduled digests in Slack (issue 14): the messages a scheduled run posts besides the digest itself."""
