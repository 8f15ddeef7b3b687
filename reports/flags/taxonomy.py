"""The error taxonomy of disagreement flags: why an annotator thinks a label is wrong (issue 12).

Pure: the default reasons, their stable ids and weights, and the rules a configured taxonomy must
follow. `bot/config.py` reads a project's `flag_reasons` with these rules; the flag modal offers the
labels, the store keeps the ids, and the hot-spot ranking weighs flags by reason.

Weights say how much a flag of that reason points at the guideline itself: the `guideline_*`
reasons weigh most (the text is the cause), label confusion and span boundaries next (often a
guideline gap, sometimes a slip), `other` 1, data quality and tool problems least (the item or the
tool is at fault, not the guideline).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

# Ids are stored with every flag and referenced by other code: lower-case slugs, never renamed.
REASON_ID = re.compile(r"[a-z][a-z0-9_]{0,39}")
# A reason's label is an option of a Slack static select, whose text Slack caps at 75 characters.
LABEL_MAX = 75
# Enough for any sensible taxonomy; Slack's static select holds at most 100 options.
MAX_REASONS = 100
# The weight of a reason no longer in the taxonomy (a flag filed before the config changed).
UNKNOWN_WEIGHT = 1.0


@dataclass(frozen=True)
class FlagReason:
    """One reason a flag can give: a stable id, the label people see, a hot-spot weight (>= 0)."""

    id: str
    label: str
    weight: float = 1.0


DEFAULT_FLAG_REASONS: tuple[FlagReason, ...] = (
    FlagReason("guideline_unclear", "Guideline unclear", 3.0),
    FlagReason("guideline_missing_case", "Guideline missing a case", 3.0),
    FlagReason("guideline_contradiction", "Guideline contradicts itself", 3.0),
    FlagReason("label_confusion", "Label confusion between classes", 2.0),
    FlagReason("span_boundary", "Span/boundary disagreement", 2.0),
    FlagReason("data_quality", "Data quality (item broken or ambiguous)", 0.5),
    FlagReason("tool_problem", "Tool problem", 0.5),
    FlagReason("other", "Other", 1.0),
)


def reason_problem(reasons: Sequence[FlagReason]) -> str | None:
    """Why `reasons` is not a usable taxonomy (None when it is): empty, too long, bad or repeated ids."""
    if not reasons:
        return "must list at least one reason"
    if len(reasons) > MAX_REASONS:
        return f"holds {len(reasons)} reasons, at most {MAX_REASONS} fit a Slack menu"
    seen: set[str] = set()
    for i, reason in enumerate(reasons):
        if not REASON_ID.fullmatch(reason.id):
            return (
                f"[{i}].id must be a lower-case slug (a-z, 0-9, _; starting with a letter; "
                f"at most 40 characters), got {reason.id!r}"
            )
        if reason.id in seen:
            return f"[{i}].id {reason.id!r} appears twice"
        seen.add(reason.id)
        if not reason.label.strip() or len(reason.label) > LABEL_MAX:
            return f"[{i}].label must be 1-{LABEL_MAX} characters, got {len(reason.label)}"
        if not reason.weight >= 0 or reason.weight == float("inf"):  # rejects NaN and inf too
            return f"[{i}].weight must be a finite number >= 0, got {reason.weight!r}"
    return None


def find_reason(reasons: Sequence[FlagReason], reason_id: str) -> FlagReason | None:
    """The reason with `reason_id`, or None."""
    return next((r for r in reasons if r.id == reason_id), None)


def reason_weight(reasons: Sequence[FlagReason], reason_id: str) -> float:
    """The hot-spot weight of `reason_id` (UNKNOWN_WEIGHT for an id the taxonomy no longer holds)."""
    found = find_reason(reasons, reason_id)
    return found.weight if found is not None else UNKNOWN_WEIGHT
