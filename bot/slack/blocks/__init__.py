"""The shared Block Kit kit (`kit`: blocks within Slack's limits) and mrkdwn escaping and conversion (`mrkdwn`)."""
