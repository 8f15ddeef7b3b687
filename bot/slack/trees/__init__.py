"""Decision trees in Slack: `/guide tree`, walking one question at a time, sharing the outcome."""
