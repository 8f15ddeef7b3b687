"""The feedback buttons of a `/guide` answer: their action ids and values, shared by builder and listeners.

A value names a lookup (and for "Helpful" a position among the hits it showed), never a section: the
job checks the lookup against the store with the clicking user, so a forged value writes nothing.
"""

from __future__ import annotations

import re

GUIDE_HELPFUL = "guide_helpful"
GUIDE_NONE_OF_THESE = "guide_none_of_these"

# Lookup ids are INTEGER columns: a larger number names no lookup (and PostgreSQL would refuse it).
MAX_ID = 2**31 - 1
_VALUE = re.compile(r"([1-9][0-9]{0,9})(?::(0|[1-9][0-9]?))?")


def helpful_value(lookup_id: int, index: int) -> str:
    """'LOOKUP:INDEX': the lookup's hit at INDEX (0: first) answered the question."""
    return f"{lookup_id}:{index}"


def none_value(lookup_id: int) -> str:
    """'LOOKUP': none of the lookup's hits answered it."""
    return str(lookup_id)


def parse_feedback_value(value: object) -> tuple[int, int | None]:
    """(lookup id, hit index or None) from a feedback button value; ValueError on anything else."""
    match = _VALUE.fullmatch(value) if isinstance(value, str) else None
    if match is None or int(match.group(1)) > MAX_ID:
        raise ValueError("not a feedback button value")
    index = match.group(2)
    return int(match.group(1)), None if index is None else int(index)
