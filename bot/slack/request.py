"""Slack request bodies, parsed by what they are: form fields, a `payload=` JSON field, or JSON.

Slack sends slash commands as form fields, interactions (block actions, view submissions,
options loads, shortcuts) as a single form field `payload` holding a JSON object, and Events API
callbacks as a JSON object. Bolt's own parser guesses from the raw text (`"payload" in body`), so
a command whose text, user, channel or team name contains the word "payload" lost every field;
here the kind comes from the Content-Type and the form's field names, never from the words in it.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
# Slack's forms have about 15 fields; far more is not a Slack request.
MAX_FORM_FIELDS = 100
# Slack's deepest bodies (rich text in a modal's blocks) nest about a dozen levels; code walking
# a body (ours and Bolt's) recurses, so far deeper is refused here rather than failing later.
MAX_DEPTH = 64
# C0 controls except tab and newline: PostgreSQL refuses NUL in text, and none of them means
# anything in a query or a name.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f]")


class BadRequest(Exception):
    """A verified request whose body is not a Slack body; `status` is the HTTP answer (4xx)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def media_type(content_type: str | None) -> str:
    """`application/json; charset=utf-8` -> `application/json`."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def _json_object(text: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:
        # ValueError covers JSONDecodeError; RecursionError is very deep nesting.
        raise BadRequest(400, f"{what} is not valid JSON") from exc
    if not isinstance(value, dict):
        raise BadRequest(400, f"{what} is not a JSON object")
    if _depth(value) > MAX_DEPTH:
        raise BadRequest(400, f"{what} nests deeper than {MAX_DEPTH} levels")
    return value


def _depth(value: Any) -> int:
    """How deeply dicts and lists nest in `value` (iteratively: the input may be deep)."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            return deepest
        children = item.values() if isinstance(item, dict) else item
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return deepest


def _form(text: str) -> dict[str, str]:
    try:
        fields = parse_qs(text, keep_blank_values=True, errors="strict", max_num_fields=MAX_FORM_FIELDS)
    except UnicodeDecodeError as exc:
        raise BadRequest(400, "a form field is not UTF-8") from exc
    except ValueError as exc:  # more than MAX_FORM_FIELDS
        raise BadRequest(400, "too many form fields") from exc
    if any(len(values) > 1 for values in fields.values()):
        # Slack never repeats a field; which copy would count is a guess.
        raise BadRequest(400, "a form field is repeated")
    return {name: values[0] for name, values in fields.items()}


def parse_body(raw: bytes, content_type: str | None) -> dict[str, Any]:
    """The body as Bolt expects it (a dict), chosen by Content-Type; `BadRequest` otherwise."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(400, "body is not UTF-8") from exc
    kind = media_type(content_type)
    if kind == JSON:
        return _json_object(text, "body")
    if kind != FORM:
        raise BadRequest(415, "Content-Type is neither a form nor JSON")
    fields = _form(text)
    if not fields:
        raise BadRequest(400, "empty form")
    if "payload" in fields:
        # An interaction: the form's one field is the JSON payload. A command has no such field.
        return _json_object(fields["payload"], "payload")
    return fields


def is_form(content_type: str | None) -> bool:
    """Whether this is a form post (a command or an interaction), not an Events API callback."""
    return media_type(content_type) == FORM


def drop_controls(value: Any) -> Any:
    """`value` with C0 control characters except tab and newline removed from every string in it."""
    if isinstance(value, str):
        return _CONTROLS.sub("", value) if _CONTROLS.search(value) else value
    if isinstance(value, dict):
        return {drop_controls(k): drop_controls(v) for k, v in value.items()}
    if isinstance(value, list):
        return [drop_controls(v) for v in value]
    return value
