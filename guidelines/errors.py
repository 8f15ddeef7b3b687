"""Errors raised while reading, validating and comparing guidelines."""

from __future__ import annotations


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
