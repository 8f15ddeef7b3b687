"""Reading the flag modal back: its state and private_metadata into a `FlagDraft`, whatever Slack sends.

Every value is taken only when it has the expected type, so a forged or odd payload becomes an empty
field (and an inline error if the field is required), never an exception.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from bot.slack.flags.builder import (
    B_ANNOTATOR,
    B_COMMENT,
    B_GOLD,
    B_ITEM,
    B_MODEL,
    B_MY_LABEL,
    B_PROJECT,
    B_REASON,
    B_SECTION,
)
from reports.flags.draft import FlagDraft
from reports.flags.input import MAX_CHANNEL, MAX_PERMALINK, MAX_TS, text_problem


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _fits(value: Any, limit: int) -> str:
    """Metadata kept only when the store would take it (it comes from Slack, never typed)."""
    text = _str(value)
    return text if text and text_problem(text, limit) is None else ""


class _State:
    def __init__(self, view: Mapping[str, Any]) -> None:
        self.values = _dict(_dict(view.get("state")).get("values"))

    def _field(self, block: str) -> Mapping[str, Any]:
        return _dict(_dict(self.values.get(block)).get(block))

    def text(self, block: str) -> str:
        return _str(self._field(block).get("value"))

    def selected(self, block: str) -> str:
        return _str(_dict(self._field(block).get("selected_option")).get("value"))

    def chosen(self, block: str) -> tuple[str, ...]:
        options = self._field(block).get("selected_options")
        if not isinstance(options, list):
            return ()
        return tuple(dict.fromkeys(v for o in options if (v := _str(_dict(o).get("value")))))


def read_metadata(raw: Any) -> dict[str, str]:
    """The modal's private_metadata (bot.slack.flags.builder.metadata), or {} when unreadable."""
    try:
        data = json.loads(raw) if isinstance(raw, str) and raw else {}
    except ValueError:
        return {}
    data = _dict(data)
    return {
        "permalink": _fits(data.get("p"), MAX_PERMALINK),
        "channel": _fits(data.get("c"), MAX_CHANNEL),
        "thread_ts": _fits(data.get("t"), MAX_TS),
        "reply_channel": _fits(data.get("r"), MAX_CHANNEL),
    }


def draft_from_view(view: Any) -> FlagDraft:
    """The draft a flag modal holds (its state and metadata)."""
    view = _dict(view)
    state = _State(view)
    return FlagDraft(
        project=state.selected(B_PROJECT),
        item_id=state.text(B_ITEM).strip(),
        my_label=state.selected(B_MY_LABEL),
        annotator_labels=state.chosen(B_ANNOTATOR),
        gold_label=state.selected(B_GOLD),
        model_labels=state.chosen(B_MODEL),
        reason=state.selected(B_REASON),
        section=state.selected(B_SECTION),
        comment=state.text(B_COMMENT),
        **read_metadata(view.get("private_metadata")),
    )


def origin(permalink: Any, channel: Any, thread_ts: Any) -> dict[str, str]:
    """Where a flag filed from a message comes from, kept only as far as the store takes it."""
    return {
        "permalink": _fits(permalink, MAX_PERMALINK),
        "channel": _fits(channel, MAX_CHANNEL),
        "thread_ts": _fits(thread_ts, MAX_TS),
        "reply_channel": _fits(channel, MAX_CHANNEL),
    }
