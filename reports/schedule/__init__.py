"""Digest schedules as data (issue 14): cron rules, due instants across time zones, run keys, catch-up.

Pure: no Slack, no SQL, no clock (`now` is always a parameter). The shell (bot/config.py, the scheduler,
bot/store/schedules.py) builds on these.
"""
