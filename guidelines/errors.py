"""Errors raised while reading, validating and comparing guidelines."""

from __future__ import annotations

from collections.abc import Sequence


class GuidelineError(Exception):
    """Base error; knows the file and 1-based line it is about, when there is one."""

    def __init__(self, message: str, file: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line

    def __str__(self) -> str:
        # One line always: CLIs print it as is and chat renderers put it in a single block,
        # and underlying parser messages (YAML) can span several lines.
        message = " ".join(part.strip() for part in self.message.splitlines() if part.strip())
        if self.file and self.line is not None:
            return f"{self.file}:{self.line}: {message}"
        if self.file:
            return f"{self.file}: {message}"
        return message

    def __reduce__(self) -> tuple[type[GuidelineError], tuple[str, str | None, int | None]]:
        # Keep file and line when the error crosses a process boundary (pickling).
        return (type(self), (self.message, self.file, self.line))


class GuidelineFormatError(GuidelineError):
    """The guideline source breaks the format: bad metadata, Markdown, anchors, links or encoding."""


class VersionError(GuidelineError):
    """A version string is not semver, or versions are in the wrong order."""


class TreeErrors(GuidelineFormatError):
    """Every problem found in the decision trees of a check or publish, each with its file and line.

    `str()` is one line per problem, `FILE:LINE: message`; the CLI prints them all and exits 2.
    """

    def __init__(self, errors: Sequence[GuidelineError]) -> None:
        if not errors:
            raise ValueError("TreeErrors needs at least one error")
        self.errors: tuple[GuidelineError, ...] = tuple(errors)
        first = self.errors[0]
        more = f" (and {len(self.errors) - 1} more)" if len(self.errors) > 1 else ""
        super().__init__(first.message + more, first.file, first.line)

    @property
    def problems(self) -> list[tuple[str | None, int | None, str]]:
        """(file, line, message) of each problem, in the order found."""
        return [(e.file, e.line, e.message) for e in self.errors]

    def lines(self) -> list[str]:
        """One `FILE:LINE: message` line per problem."""
        return [str(e) for e in self.errors]

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def __reduce__(self) -> tuple[type[TreeErrors], tuple[tuple[GuidelineError, ...]]]:  # type: ignore[override]
        return (type(self), (self.errors,))
