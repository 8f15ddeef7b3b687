"""The answer's feedback buttons as jobs: "Helpful" records a precedent, "None of these" an unanswered question.

A button value names the asker's lookup (bot/slack/blocks/feedback_link.py). It is checked against
the store with the clicking user: an unknown, foreign or malformed value writes nothing and raises an
InputError that says so. One transaction per click; a second click on the same answer records nothing.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Engine

from bot.errors import InputError
from bot.jobs.answer import Answer
from bot.slack.blocks import kit
from bot.slack.blocks.feedback_link import parse_feedback_value
from bot.store.db import session_scope
from bot.store.feedback import (
    channel_guideline,
    current_version,
    own_lookup,
    record_precedent,
    record_unanswered,
)
from bot.store.guidelines import get_section

THANKS = "Thanks — recorded for the guideline's owners."
THANKS_HELPFUL = "Thanks — this section will come first when the question is asked again."
ALREADY = "Already recorded for this answer: thanks."
NOT_YOURS = (
    "That button does not belong to a question you asked (feedback counts for the asker only); "
    "ask with `/guide QUESTION` to give your own."
)


def _reply(text: str) -> Answer:
    return Answer([kit.note(text)], kit.fallback_text(text))


def _lookup_id(value: str, *, helpful: bool) -> tuple[int, int | None]:
    try:
        lookup_id, index = parse_feedback_value(value)
    except ValueError as exc:
        raise InputError("that button does not point at a /guide answer") from exc
    if (index is None) == helpful:
        raise InputError("that button does not point at a /guide answer")
    return lookup_id, index


def none_of_these_job(
    engine: Engine, value: str, *, user_id: str, channel_guidelines: Mapping[str, str] | None = None
) -> Answer:
    """Record the asker's question as unanswered by the guideline of the channel's project (the config's
    `[[projects]]` channels, `channel_guidelines`, then the store's), else of the answer's top hit."""
    lookup_id, _ = _lookup_id(value, helpful=False)
    with session_scope(engine) as session:
        lookup = own_lookup(session, lookup_id, user_id)
        if lookup is None:
            raise InputError(NOT_YOURS)
        configured = (channel_guidelines or {}).get(lookup.channel or "")
        slug = configured or channel_guideline(session, lookup.channel) or lookup.guideline
        version = None
        if slug is not None:
            shown = {g: v for g, v, _ in reversed(lookup.hits or [])}
            version = shown.get(slug) or current_version(session, slug)
        new = record_unanswered(session, lookup, slug, version)
    return _reply(THANKS if new else ALREADY)


def helpful_job(engine: Engine, value: str, *, user_id: str, **_: object) -> Answer:
    """Record the section at the button's position of the asker's answer as the question's answer."""
    lookup_id, index = _lookup_id(value, helpful=True)
    with session_scope(engine) as session:
        lookup = own_lookup(session, lookup_id, user_id)
        if lookup is None:
            raise InputError(NOT_YOURS)
        shown = lookup.hits or []
        if index is None or index >= len(shown):
            raise InputError("that button does not point at a section of your answer")
        slug, version, anchor = shown[index]
        _, section = get_section(session, slug, anchor, version)
        new = record_precedent(session, lookup, slug, version, anchor, section.title)
    return _reply(THANKS_HELPFUL if new else ALREADY)
