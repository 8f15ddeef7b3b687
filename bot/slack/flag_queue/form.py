"""Reading the triage modals back: state and private_metadata into plain values, whatever Slack sends.

A value is taken only when it has the expected type, so a forged or odd payload becomes an empty
field (an inline error when the field is required) or no case at all, never an exception.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.slack.flag_queue.builder import (
    B_CHANGE,
    B_COMMENT,
    B_FINAL,
    B_GOLD,
    B_NOTE,
    B_OUTCOME,
    B_TASK,
    GOLD_VALUE,
)
from reports.flags.input import MAX_CHANNEL, MAX_PROJECT, text_problem
from reports.flags.queue import DecisionDraft

_MAX_CASE_ID = 10**18


@dataclass(frozen=True)
class CaseRef:
    """Which case a modal is about (from its metadata), its project for options, where to answer."""

    case_id: int | None
    project: str
    reply_channel: str


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _fits(value: Any, limit: int) -> str:
    text = _str(value)
    return text if text and text_problem(text, limit) is None else ""


def case_ref(view: Any) -> CaseRef:
    """The case a triage modal names in its private_metadata (case_id None when unreadable)."""
    raw = _dict(view).get("private_metadata")
    try:
        data = _dict(json.loads(raw)) if isinstance(raw, str) and raw else {}
    except ValueError:
        data = {}
    case_id = data.get("case")
    if isinstance(case_id, bool) or not isinstance(case_id, int) or not 0 < case_id < _MAX_CASE_ID:
        case_id = None
    return CaseRef(case_id, _fits(data.get("p"), MAX_PROJECT), _fits(data.get("c"), MAX_CHANNEL))


def _field(view: Any, block: str) -> Mapping[str, Any]:
    values = _dict(_dict(_dict(view).get("state")).get("values"))
    return _dict(_dict(values.get(block)).get(block))


def _selected(view: Any, block: str) -> str:
    return _str(_dict(_field(view, block).get("selected_option")).get("value"))


def decision_draft(view: Any) -> DecisionDraft:
    """The adjudication modal's fields."""
    chosen = _field(view, B_GOLD).get("selected_options")
    gold = isinstance(chosen, list) and any(_dict(o).get("value") == GOLD_VALUE for o in chosen)
    return DecisionDraft(
        final_label=_selected(view, B_FINAL),
        outcome=_selected(view, B_OUTCOME),
        note=_str(_field(view, B_NOTE).get("value")),
        section_to_change=_selected(view, B_CHANGE),
        add_to_gold=gold,
        # A select's option, or the typed task when the item's tasks did not fit a select.
        task=_selected(view, B_TASK) or _str(_field(view, B_TASK).get("value")),
    )


def comment_text(view: Any) -> str:
    """The comment modal's text."""
    return _str(_field(view, B_COMMENT).get("value"))
