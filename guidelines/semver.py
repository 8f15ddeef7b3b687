"""Semantic versions (semver 2.0 without build metadata) with correct precedence."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import total_ordering

from guidelines.errors import VersionError

_NUMBER = r"0|[1-9][0-9]*"
_IDENT = r"[0-9A-Za-z-]+"
_VERSION_RE = re.compile(
    rf"(?P<major>{_NUMBER})\.(?P<minor>{_NUMBER})\.(?P<patch>{_NUMBER})"
    rf"(?:-(?P<pre>{_IDENT}(?:\.{_IDENT})*))?"
)


@total_ordering
@dataclass(frozen=True)
class Version:
    """A MAJOR.MINOR.PATCH[-PRERELEASE] version ordered by semver 2.0 precedence."""

    major: int
    minor: int
    patch: int
    prerelease: tuple[str, ...] = ()

    @property
    def is_prerelease(self) -> bool:
        """True for versions like 1.0.0-rc.1."""
        return bool(self.prerelease)

    def _key(self) -> tuple[int, int, int, int, tuple[tuple[int, int | str], ...]]:
        # A release sorts after all of its prereleases; within a prerelease, numeric identifiers
        # compare numerically and sort before alphanumeric ones, and a longer list of otherwise
        # equal identifiers is greater -- which is exactly how Python compares tuples.
        pre = tuple((0, int(p)) if p.isdigit() else (1, p) for p in self.prerelease)
        return (self.major, self.minor, self.patch, 0 if self.prerelease else 1, pre)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self._key() < other._key()

    def __str__(self) -> str:
        core = f"{self.major}.{self.minor}.{self.patch}"
        return f"{core}-{'.'.join(self.prerelease)}" if self.prerelease else core


def parse_version(text: str) -> Version:
    """Parse `1.2.3` or `1.2.3-rc.1`; raise VersionError explaining what is wrong."""
    if not isinstance(text, str):
        raise VersionError(f"bad version {text!r}: expected a string like 1.0.0")
    match = _VERSION_RE.fullmatch(text)
    if match:
        pre = match.group("pre")
        identifiers = tuple(pre.split(".")) if pre else ()
        for ident in identifiers:
            if ident.isdigit() and len(ident) > 1 and ident.startswith("0"):
                raise VersionError(
                    f'bad version "{text}": numeric prerelease identifier "{ident}" has a leading zero'
                )
        return Version(int(match["major"]), int(match["minor"]), int(match["patch"]), identifiers)
    raise VersionError(f'bad version "{text}": {_explain(text)}')


def _explain(text: str) -> str:
    """Say why a string is not a version, for the common mistakes."""
    stripped = text.strip()
    if stripped != text:
        return "remove the surrounding whitespace"
    if text[:1] in ("v", "V") and _VERSION_RE.fullmatch(text[1:]):
        return f"write it without the leading v ({text[1:]})"
    if "+" in text:
        return "build metadata (+...) is not supported"
    core = text.split("-", 1)[0]
    parts = core.split(".")
    if len(parts) != 3:
        return "expected MAJOR.MINOR.PATCH with an optional -prerelease, e.g. 1.0.0 or 2.1.0-rc.1"
    if any(p.isdigit() and len(p) > 1 and p.startswith("0") for p in parts):
        return "numbers must not have leading zeros"
    return "expected MAJOR.MINOR.PATCH with an optional -prerelease, e.g. 1.0.0 or 2.1.0-rc.1"
