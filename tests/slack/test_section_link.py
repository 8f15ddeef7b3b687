"""Section links (the "Show section" / "Share in channel" button values): round trip and junk."""

from __future__ import annotations

import json

import pytest

from bot.slack.blocks import section_link as link

# --- section_ref -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ref",
    [("sentiment", "1.0.0", "sarcasm"), ("a-b", "2.0.0-rc.1", "x_y"), ("ümlaut", "1", 'quo"te|pipe')],
)
def test_section_ref_round_trip(ref: tuple[str, str, str]) -> None:
    value = link.section_ref(*ref)
    assert link.parse_section_ref(value) == ref
    assert " " not in value.replace(ref[2], "")  # compact
    assert json.loads(value) == {"g": ref[0], "v": ref[1], "a": ref[2]}


@pytest.mark.parametrize(
    "junk",
    [
        "",
        "nope",
        "{}",
        "[]",
        "null",
        '"g"',
        '{"g":"a","v":"b"}',
        '{"g":"a","v":"b","a":"c","x":1}',
        '{"g":"a","v":"b","a":3}',
        '{"g":"","v":"b","a":"c"}',
        '{"g":"a","v":null,"a":"c"}',
        '{"g":"a","v":"b","a":"' + "c" * 3000 + '"}',
    ],
)
def test_parse_section_ref_rejects_junk(junk: str) -> None:
    with pytest.raises(ValueError):
        link.parse_section_ref(junk)


def test_section_ref_too_long_raises() -> None:
    with pytest.raises(ValueError):
        link.section_ref("g", "v", "a" * 2000)
