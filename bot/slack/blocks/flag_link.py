"""The **Flag** button any surface may show for a guideline section, answered by the flags feature.

The action id and the value (a `section_ref`) are the contract between whoever shows the button (a
`/guide` answer) and the flags feature's listener, which opens the flag modal with the section
pre-filled.
"""

from __future__ import annotations

from bot.slack.blocks import kit
from bot.slack.blocks.section_link import section_ref

FLAG_FROM_SECTION = "flag_from_section"


def flag_button(slug: str, version: str, anchor: str) -> dict:
    """A **Flag** button that files a disagreement about this section."""
    return kit.button("Flag", FLAG_FROM_SECTION, section_ref(slug, version, anchor))
