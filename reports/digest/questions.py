"""The digest's `questions` section: what the project's guideline did not answer in the window.

Pure: the caller reads the questions marked "None of these" under `/guide` answers (bot/store/feedback.py)
and passes them here; the JSON keeps the text raw and every renderer escapes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

MAX_EXAMPLES = 5
EXAMPLE_MAX = 500  # a pasted item is an example, not the report


@dataclass(frozen=True)
class Question:
    """One question (normalised) marked unanswered, as the store groups them."""

    question: str
    version: str | None
    channel: str | None
    times: int
    last_asked: datetime


def _cut(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXAMPLE_MAX else text[: EXAMPLE_MAX - 1].rstrip() + "…"


def questions_json(guideline: str, rows: Sequence[Question]) -> dict[str, Any]:
    """`{guideline, unanswered (clicks), questions (distinct), examples[{question, version, channel,
    times, last_asked}]}`, the most asked first (rows come in that order)."""
    return {
        "guideline": guideline,
        "unanswered": sum(r.times for r in rows),
        "questions": len(rows),
        "examples": [
            {
                "question": _cut(r.question),
                "version": r.version,
                "channel": r.channel,
                "times": r.times,
                "last_asked": r.last_asked.isoformat(timespec="seconds"),
            }
            for r in rows[:MAX_EXAMPLES]
        ],
    }
