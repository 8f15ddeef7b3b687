"""The error a schedule field raises: it names the key so the config and Slack can point at it."""

from __future__ import annotations


class ScheduleError(ValueError):
    """An invalid schedule field; `key` is the field's name (e.g. "cron"), `message` says why."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"'{key}' {message}")
        self.key = key
        self.message = message

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.key, self.message))
