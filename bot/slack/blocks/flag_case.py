"""The triage buttons of a flag case (**Assign to me**, **Comment**, **Adjudicate**), answered by the
flag-queue feature wherever they are shown (the `/flag queue` answer, the App Home).

The action ids and the value (the case id as decimal digits) are the contract. A value comes back
from Slack as the client sent it, so `parse_case_value` accepts digits only and the listener reads
everything else (the project, whether it is still open) from the store, never from the value.
"""

from __future__ import annotations

from bot.slack.blocks import kit

CASE_ASSIGN = "flag_case_assign"
CASE_COMMENT = "flag_case_comment"
CASE_ADJUDICATE = "flag_case_adjudicate"
CASE_ACTIONS = (CASE_ASSIGN, CASE_COMMENT, CASE_ADJUDICATE)
# A case id has at most this many digits (a BIGINT holds 19).
_MAX_DIGITS = 18


def case_value(case_id: int) -> str:
    """The button value naming a case."""
    return str(int(case_id))


def parse_case_value(value: object) -> int:
    """The case id a button value names; ValueError for anything but 1..18 ASCII digits."""
    if not isinstance(value, str) or not value.isascii() or not value.isdigit() or len(value) > _MAX_DIGITS:
        raise ValueError("not a flag case")
    case_id = int(value)
    if case_id <= 0:
        raise ValueError("not a flag case")
    return case_id


def case_buttons(case_id: int, *, assigned_to_me: bool = False) -> list[dict]:
    """The triage buttons of one case (Assign to me left out when it is the user's already)."""
    value = case_value(case_id)
    out = [] if assigned_to_me else [kit.button("Assign to me", CASE_ASSIGN, value)]
    out.append(kit.button("Comment", CASE_COMMENT, value))
    out.append(kit.button("Adjudicate", CASE_ADJUDICATE, value, style="primary"))
    return out
