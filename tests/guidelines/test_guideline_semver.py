"""Semantic versions: parsing, printing and semver 2.0 precedence."""

from __future__ import annotations

import itertools
import random

import pytest

from guidelines.errors import GuidelineError, VersionError
from guidelines.semver import Version, parse_version

# The precedence example from semver.org, section 11, in ascending order.
SEMVER_ORG_ORDER = [
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-alpha.beta",
    "1.0.0-beta",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "1.0.0",
]


def test_semver_org_prerelease_precedence() -> None:
    versions = [parse_version(v) for v in SEMVER_ORG_ORDER]
    for lower, higher in itertools.pairwise(versions):
        assert lower < higher, f"{lower} should sort before {higher}"
        assert higher > lower
        assert not higher < lower
    shuffled = versions[:]
    random.Random(7).shuffle(shuffled)
    assert [str(v) for v in sorted(shuffled)] == SEMVER_ORG_ORDER


@pytest.mark.parametrize(
    ("lower", "higher"),
    [
        ("1.0.0", "2.0.0"),
        ("2.0.0", "2.1.0"),
        ("2.1.0", "2.1.1"),
        ("1.9.0", "1.10.0"),  # numeric, not lexical
        ("1.0.0-rc.9", "1.0.0-rc.10"),
        ("1.0.0-9", "1.0.0-a"),  # numeric identifiers sort before alphanumeric ones
        ("1.0.0-alpha", "1.0.0-alpha.0"),
        ("0.9.9", "1.0.0-alpha"),
    ],
)
def test_ordering(lower: str, higher: str) -> None:
    assert parse_version(lower) < parse_version(higher)
    assert max(parse_version(lower), parse_version(higher)) == parse_version(higher)


def test_equality_hash_and_str() -> None:
    assert parse_version("1.2.3-rc.1") == Version(1, 2, 3, ("rc", "1"))
    assert len({parse_version("1.2.3"), parse_version("1.2.3"), parse_version("1.2.4")}) == 2
    for text in ["0.0.0", "10.20.30", "1.0.0-alpha.beta-2.0", *SEMVER_ORG_ORDER]:
        assert str(parse_version(text)) == text
    assert parse_version("1.0.0-rc.1").is_prerelease
    assert not parse_version("1.0.0").is_prerelease
    assert parse_version("1.0.0") <= parse_version("1.0.0") >= parse_version("1.0.0")


def test_version_is_frozen() -> None:
    from dataclasses import FrozenInstanceError

    with pytest.raises(FrozenInstanceError):
        parse_version("1.0.0").major = 2  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1.0", "expected MAJOR.MINOR.PATCH with an optional -prerelease, e.g. 1.0.0 or 2.1.0-rc.1"),
        ("1.0.0.0", "expected MAJOR.MINOR.PATCH with an optional -prerelease, e.g. 1.0.0 or 2.1.0-rc.1"),
        ("v1.2.3", "write it without the leading v (1.2.3)"),
        ("01.0.0", "numbers must not have leading zeros"),
        ("1.0.0-rc.01", 'numeric prerelease identifier "01" has a leading zero'),
        ("1.0.0+build.5", "build metadata (+...) is not supported"),
        (" 1.0.0", "remove the surrounding whitespace"),
        ("1.0.0-", "expected MAJOR.MINOR.PATCH with an optional -prerelease, e.g. 1.0.0 or 2.1.0-rc.1"),
        ("1.0.0-rc..1", "expected MAJOR.MINOR.PATCH with an optional -prerelease, e.g. 1.0.0 or 2.1.0-rc.1"),
        ("1.0.0-rc_1", "expected MAJOR.MINOR.PATCH with an optional -prerelease, e.g. 1.0.0 or 2.1.0-rc.1"),
        ("", "expected MAJOR.MINOR.PATCH with an optional -prerelease, e.g. 1.0.0 or 2.1.0-rc.1"),
    ],
)
def test_bad_versions(text: str, reason: str) -> None:
    with pytest.raises(VersionError) as info:
        parse_version(text)
    assert str(info.value) == f'bad version "{text}": {reason}'
    assert isinstance(info.value, GuidelineError)
    assert info.value.file is None


def test_comparison_with_other_types_is_refused() -> None:
    with pytest.raises(TypeError):
        _ = parse_version("1.0.0") < "2.0.0"  # type: ignore[operator]
    assert parse_version("1.0.0") != "1.0.0"
