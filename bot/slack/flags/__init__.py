"""Filing disagreement flags from Slack: `/flag`, the Flag disagreement shortcut, Flag on `/guide` answers."""
