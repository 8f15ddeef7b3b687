"""A link to one guideline section: the buttons any surface may show, answered by the `/guide` feature.

The action ids and the button value are the contract between whoever shows the button (a `/guide`
answer, the Home tab, the digest) and the guide feature's listeners that answer the click.
"""

from __future__ import annotations

import json

from bot.slack.blocks import kit

GUIDE_SHOW_SECTION = "guide_show_section"
GUIDE_SHARE_SECTION = "guide_share_section"

_REF_KEYS = ("g", "v", "a")


def section_ref(slug: str, version: str, anchor: str) -> str:
    """Compact JSON naming one section, used as a button value."""
    value = json.dumps({"g": slug, "v": version, "a": anchor}, separators=(",", ":"), ensure_ascii=False)
    if len(value) > kit.BUTTON_VALUE_MAX:
        raise ValueError("section reference does not fit a button value")
    return value


def parse_section_ref(value: str) -> tuple[str, str, str]:
    """(slug, version, anchor) from a `section_ref` value; ValueError on anything else."""
    if not isinstance(value, str) or len(value) > kit.BUTTON_VALUE_MAX:
        raise ValueError("not a section reference")
    try:
        data = json.loads(value)
    except ValueError as exc:
        raise ValueError("not a section reference") from exc
    if not isinstance(data, dict) or set(data) != set(_REF_KEYS):
        raise ValueError("not a section reference")
    slug, version, anchor = data["g"], data["v"], data["a"]
    if not all(isinstance(p, str) and p for p in (slug, version, anchor)):
        raise ValueError("not a section reference")
    return slug, version, anchor
