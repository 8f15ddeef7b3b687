"""`/guide`: its slash command, buttons and Block Kit."""
