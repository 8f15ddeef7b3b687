"""Reading a Label Studio webhook body: every malformed body gets the reason for its 400.

The checks here are about the shape of the event (JSON object, `action`, the annotation objects and
ids); the fields that are stored go through the same cell rules as file imports
(bot/imports/cells.py, via bot/imports/rows.py).
"""

from __future__ import annotations

import json
from typing import Any

from bot.errors import InputError
from bot.imports.cells import MAX_INT, control_reason, length_reason

MAX_DEPTH = 64  # Label Studio events nest about 8 levels; deeper is not an event
DELETIONS = ("ANNOTATIONS_DELETED", "ANNOTATION_DELETED")
ACTIONS = ("ANNOTATION_CREATED", "ANNOTATION_UPDATED", *DELETIONS)


class BadBody(InputError):
    """The body is not a Label Studio event: answered 400 with this message."""


def parse_body(body: bytes) -> dict[str, Any]:
    """The JSON object of a body; BadBody with the reason otherwise."""
    if not body.strip():
        raise BadBody("body is empty: expected a JSON object")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadBody(f"body is not valid UTF-8 (byte {exc.start + 1})") from None
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadBody(f"body is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise BadBody(f"body nests more than {MAX_DEPTH} levels") from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise BadBody(f"body is not readable JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise BadBody(f"body must be a JSON object, got {_kind(payload)}")
    if _depth(payload) > MAX_DEPTH:
        raise BadBody(f"body nests more than {MAX_DEPTH} levels")
    action = payload.get("action")
    if not isinstance(action, str):
        raise BadBody(f"'action' must be a string, got {_kind(action)}")
    return payload


def deleted_ids(payload: dict[str, Any]) -> list[str]:
    """The annotation ids a deletion event names (`annotations` list or one `annotation`)."""
    if "annotations" in payload:
        anns = payload["annotations"]
        if not isinstance(anns, list):
            raise BadBody(f"'annotations' must be a list, got {_kind(anns)}")
        where = "annotations[{}]"
    elif "annotation" in payload:
        anns = [payload["annotation"]]
        where = "annotation"
    else:
        raise BadBody("a deletion needs an 'annotations' list or an 'annotation' object")
    ids = []
    for k, ann in enumerate(anns):
        name = where.format(k)
        if not isinstance(ann, dict):
            raise BadBody(f"'{name}' must be an object, got {_kind(ann)}")
        ids.append(annotation_id(ann.get("id"), f"{name}.id"))
    return ids


def annotation_and_item(payload: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    """The `annotation` object of a create/update event and its item id (task.id, else annotation.task)."""
    ann = payload.get("annotation")
    if not isinstance(ann, dict):
        raise BadBody(f"'annotation' must be an object, got {_kind(ann)}")
    if ann.get("id") is not None:
        annotation_id(ann["id"], "annotation.id")
    task = payload.get("task")
    if task is not None and not isinstance(task, dict):
        raise BadBody(f"'task' must be an object, got {_kind(task)}")
    item = task.get("id") if isinstance(task, dict) else ann.get("task")
    return ann, item


def annotation_id(value: Any, name: str) -> str:
    """An annotation id (an integer or a string, as Label Studio sends) as stored; BadBody otherwise."""
    if isinstance(value, int) and not isinstance(value, bool) and -MAX_INT <= value <= MAX_INT:
        return str(value)
    if isinstance(value, str) and value:
        why = control_reason(value) or length_reason("external_id", value)
        if why is not None:
            raise BadBody(f"'{name}' {why}")
        return value
    raise BadBody(f"'{name}' must be an integer or a non-empty string, got {_kind(value)}")


def _kind(value: Any) -> str:
    """A JSON value's type for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number" if -MAX_INT <= value <= MAX_INT else "a number out of range"
    return {str: "a string", list: "a list", dict: "an object"}.get(type(value), type(value).__name__)


def _depth(value: Any) -> int:
    """How deeply a parsed JSON value nests (iteratively: deep values must not exhaust the stack)."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, dict | list):
            deepest = max(deepest, d)
            if d > MAX_DEPTH:
                return d
            stack.extend((c, d + 1) for c in (v.values() if isinstance(v, dict) else v))
    return deepest
