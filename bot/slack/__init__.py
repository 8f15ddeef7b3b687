"""Slack surface of annobot: Block Kit builders and, elsewhere, the bolt listeners that send them."""
