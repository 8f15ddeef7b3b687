"""annobot's error hierarchy; edges (CLI, Slack, jobs) turn these into user messages."""

from __future__ import annotations


class AnnobotError(Exception):
    """Base of every error annobot raises on purpose."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InputError(AnnobotError):
    """Bad user input: a file, a field, an argument. The message names what and where."""

    exit_code = 2


class RowsRefused(InputError):
    """A file refused for the rows listed in `lines` (a header line, then one line per problem)."""

    def __init__(self, lines: list[str] | tuple[str, ...]) -> None:
        super().__init__("\n".join(lines))
        self.lines = tuple(lines)

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.lines,))


class NotFoundError(InputError):
    """A named thing (guideline, version, section, project) does not exist."""


class ConflictError(InputError):
    """The request contradicts what is stored (e.g. other content under an existing version)."""


class DeniedError(AnnobotError):
    """The user's role on the project is below what the action needs; the message says which role."""

    exit_code = 2


class ConfigError(AnnobotError):
    """Missing or invalid configuration; stops start-up with one clear line."""

    exit_code = 2


class StoreError(AnnobotError):
    """The database is unreachable, not migrated, or refused an operation."""
