"""What a disagreement flag and an adjudication carry, and the pure checks of both (issue 12).

`validate_flag_input` and `validate_decision` answer field -> message, so the Slack modal can show
the messages inline (`response_action: errors`) and the store can refuse the same input with one
InputError: one rule, two edges. No Slack, no SQL, no clock.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

LABEL_SOURCES = ("annotator", "gold", "model")
OUTCOMES = ("annotator_right", "other_right", "both_acceptable", "guideline_must_change")
CASE_STATUSES = ("open", "assigned", "resolved")
# Widths of the store's columns (bot/store/models/flags.py); the issue fixes item ids at 200.
MAX_ITEM_ID = 200
MAX_PROJECT = 100
MAX_USER = 64  # a Slack user id (U…/W…), with room to spare
MAX_REASON = 64
MAX_SLUG = 64
MAX_VERSION = 64
MAX_ANCHOR = 200
MAX_TASK = 200
MAX_LABEL = 1000  # a label is text of the guideline's label set; this only bounds abuse
MAX_COMMENT = 3000  # Slack's plain_text_input max_length
MAX_OTHER_LABELS = 20
MAX_PERMALINK = 500
MAX_CHANNEL = 64
MAX_TS = 32
MAX_KEY = 255
# C0 controls but tab, LF and CR: PostgreSQL cannot store NUL, and none of them belong in a field.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Lone surrogates cannot be encoded as UTF-8, so no database or JSON can take them.
_SURROGATE = re.compile(r"[\ud800-\udfff]")

# The task of rows that name none (imports say so too: bot/imports/rows.py).
DEFAULT_TASK = "default"


@dataclass(frozen=True)
class OtherLabel:
    """A label in conflict with the flagger's: its text, where it came from and, optionally, whose."""

    label: str
    source: str  # one of LABEL_SOURCES
    who: str | None = None


@dataclass(frozen=True)
class FlagInput:
    """One flag as filed: the item, the labels in conflict, the reason and the guideline section."""

    project: str
    item_id: str
    filed_by: str
    my_label: str
    reason: str  # an id of the project's error taxonomy (kept elsewhere)
    guideline: str  # slug
    version: str  # the guideline version current at filing
    other_labels: tuple[OtherLabel, ...] = ()
    anchor: str | None = None
    comment: str = ""
    permalink: str | None = None  # set when filed from a message
    channel: str | None = None
    thread_ts: str | None = None
    # The Slack view id and view hash of the submission: the same submission twice stores one flag.
    idempotency_key: str | None = None
    filed_at: datetime | None = None  # None: the store's clock


@dataclass(frozen=True)
class Decision:
    """A lead's adjudication of a case."""

    final_label: str
    outcome: str  # one of OUTCOMES
    note: str = ""
    section_to_change: str | None = None
    add_to_gold: bool = False
    task: str = DEFAULT_TASK  # the task of the project the final label answers (gold is per task)
    decided_at: datetime | None = None  # None: the store's clock


@dataclass
class _Errors:
    found: dict[str, str] = field(default_factory=dict)

    def text(
        self, name: str, value: str | None, limit: int, *, required: bool = True, lines: bool = False
    ) -> None:
        """Check one text field: present when required, within `limit`, no control characters."""
        if name in self.found:
            return
        if value is None or not value.strip():
            if required:
                self.found[name] = "is required"
            return
        why = text_problem(value, limit, lines=lines)
        if why is not None:
            self.found[name] = why


def text_problem(value: str, limit: int, *, lines: bool = False) -> str | None:
    """Why a text field is refused (too long, a control character, a line break), or None."""
    if len(value) > limit:
        return f"is longer than {limit} characters ({len(value)})"
    if m := _SURROGATE.search(value):
        return f"contains an unencodable character at position {m.start() + 1}"
    if m := _CONTROL.search(value):
        return f"contains the control character U+{ord(m.group()):04X} at position {m.start() + 1}"
    if not lines and (m := re.search(r"[\r\n]", value)):
        return f"must be one line (a line break at position {m.start() + 1})"
    return None


def validate_flag_input(
    flag: FlagInput,
    *,
    projects: Collection[str] | None = None,
    labels: Collection[str] | None = None,
    reasons: Collection[str] | None = None,
) -> dict[str, str]:
    """Field name -> message for every problem of a flag; empty when it may be stored.

    `projects`, `labels` (the project guideline's label set) and `reasons` (the taxonomy's ids) are
    checked when given; the store passes none of them (it does not know the config).
    """
    e = _Errors()
    e.text("project", flag.project, MAX_PROJECT)
    if "project" not in e.found and projects is not None and flag.project not in projects:
        e.found["project"] = f"unknown project '{flag.project}'"
    # Item ids and labels follow the import's rules, which allow line breaks (a CSV cell may hold them).
    e.text("item_id", flag.item_id, MAX_ITEM_ID, lines=True)
    e.text("filed_by", flag.filed_by, MAX_USER)
    e.text("my_label", flag.my_label, MAX_LABEL, lines=True)
    if "my_label" not in e.found and labels is not None and flag.my_label not in labels:
        e.found["my_label"] = f"'{flag.my_label}' is not a label of the guideline"
    _check_other_labels(e, flag.other_labels, labels)
    e.text("reason", flag.reason, MAX_REASON)
    if "reason" not in e.found and reasons is not None and flag.reason not in reasons:
        e.found["reason"] = f"unknown reason '{flag.reason}'"
    e.text("guideline", flag.guideline, MAX_SLUG)
    e.text("version", flag.version, MAX_VERSION)
    e.text("anchor", flag.anchor, MAX_ANCHOR, required=False)
    e.text("comment", flag.comment, MAX_COMMENT, required=False, lines=True)
    e.text("permalink", flag.permalink, MAX_PERMALINK, required=False)
    e.text("channel", flag.channel, MAX_CHANNEL, required=False)
    e.text("thread_ts", flag.thread_ts, MAX_TS, required=False)
    e.text("idempotency_key", flag.idempotency_key, MAX_KEY, required=False)
    if flag.filed_at is not None and flag.filed_at.tzinfo is None:
        e.found["filed_at"] = "must carry a time zone"
    return e.found


def _check_other_labels(e: _Errors, others: tuple[OtherLabel, ...], labels: Collection[str] | None) -> None:
    if len(others) > MAX_OTHER_LABELS:
        e.found["other_labels"] = f"at most {MAX_OTHER_LABELS} other labels ({len(others)})"
        return
    for n, other in enumerate(others, 1):
        if not other.label.strip():
            e.found["other_labels"] = f"other label {n} is empty"
        elif (why := text_problem(other.label, MAX_LABEL, lines=True)) is not None:
            e.found["other_labels"] = f"other label {n} {why}"
        elif labels is not None and other.label not in labels:
            e.found["other_labels"] = f"other label {n}: '{other.label}' is not a label of the guideline"
        elif other.source not in LABEL_SOURCES:
            e.found["other_labels"] = (
                f"other label {n}: source must be one of {', '.join(LABEL_SOURCES)} (got '{other.source}')"
            )
        elif other.who is not None and (why := text_problem(other.who, MAX_USER)) is not None:
            e.found["other_labels"] = f"other label {n}: who {why}"
        else:
            continue
        return


def validate_decision(decision: Decision, *, labels: Collection[str] | None = None) -> dict[str, str]:
    """Field name -> message for every problem of an adjudication; empty when it may be stored."""
    e = _Errors()
    e.text("final_label", decision.final_label, MAX_LABEL, lines=True)
    if "final_label" not in e.found and labels is not None and decision.final_label not in labels:
        e.found["final_label"] = f"'{decision.final_label}' is not a label of the guideline"
    if decision.outcome not in OUTCOMES:
        e.found["outcome"] = f"must be one of {', '.join(OUTCOMES)}"
    e.text("note", decision.note, MAX_COMMENT, required=False, lines=True)
    e.text("section_to_change", decision.section_to_change, MAX_ANCHOR, required=False)
    e.text("task", decision.task, MAX_TASK)
    if decision.decided_at is not None and decision.decided_at.tzinfo is None:
        e.found["decided_at"] = "must carry a time zone"
    return e.found
