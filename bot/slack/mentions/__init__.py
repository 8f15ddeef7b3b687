"""`@annobot` mentions, answered in a thread."""
