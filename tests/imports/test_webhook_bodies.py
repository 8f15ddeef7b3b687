"""Issue 10 items 6 and 9 over real HTTP, on both backends: every malformed Label Studio webhook body is a
400 with the reason (never a 500), a control character is refused, and nothing is written."""

from __future__ import annotations

import copy
import http.client
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from bot.config import Config, ProjectConfig
from bot.hooks.label_studio import SECRET_HEADER, label_studio_wsgi
from bot.hooks.payload import MAX_DEPTH
from bot.server import serve_in_thread
from tests.conftest import row_counts

SECRET = "s3cret-value"
GOOD: dict[str, Any] = {
    "action": "ANNOTATION_CREATED",
    "annotation": {
        "id": 7, "task": 507, "completed_by": {"id": 2},
        "result": [{"id": "x", "from_name": "sentiment", "to_name": "text", "type": "choices",
                    "value": {"choices": ["Positive"]}}],
        "was_cancelled": False, "ground_truth": False, "lead_time": 3.2,
        "created_at": "2026-10-01T08:00:00Z", "updated_at": "2026-10-01T09:00:00Z",
    },
    "task": {"id": 507, "data": {"text": "..."}},
    "project": {"id": 2, "title": "Reviews"},
}  # fmt: skip


@pytest.fixture
def port(project: str, engine: Engine) -> Iterator[int]:
    """The hook app on 127.0.0.1:<port>."""
    config = Config(database_url=project, projects=(ProjectConfig("reviews", "mini", (), "LS_SECRET"),))
    srv, port = serve_in_thread(label_studio_wsgi(engine, config, env={"LS_SECRET": SECRET}), threads=4)
    yield port
    srv.stop()


def _post(port: int, body: bytes) -> tuple[int, dict[str, Any]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Content-Type": "application/json", SECRET_HEADER: SECRET}
    conn.request("POST", "/hooks/label-studio/reviews", body=body, headers=headers)
    resp = conn.getresponse()
    status, data = resp.status, resp.read()
    conn.close()
    return status, json.loads(data)


def _with(path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    """GOOD with the value at `path` replaced (or deleted when value is ...)."""
    body = copy.deepcopy(GOOD)
    node: Any = body
    for key in path[:-1]:
        node = node[key]
    if value is ...:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return body


def _deep(n: int) -> str:
    return '{"action": "ANNOTATION_CREATED", "annotation": ' + "[" * n + "]" * n + "}"


MALFORMED: list[tuple[str, bytes, str]] = [
    ("empty", b"", "body is empty"),
    ("not utf-8", b'{"action": "\xff"}', "not valid UTF-8"),
    ("not json", b"{action: 1}", "body is not JSON"),
    ("truncated", json.dumps(GOOD).encode()[:-5], "body is not JSON"),
    ("a list", b"[1, 2]", "must be a JSON object, got a list"),
    ("a number", b"5", "must be a JSON object, got a number"),
    ("deep nesting", _deep(MAX_DEPTH + 10).encode(), f"nests more than {MAX_DEPTH} levels"),
    ("very deep nesting", _deep(100_000).encode(), f"nests more than {MAX_DEPTH} levels"),
    ("action a number", json.dumps(_with(("action",), 5)).encode(), "'action' must be a string"),
    ("annotation a list", json.dumps(_with(("annotation",), [1])).encode(), "'annotation' must be an object"),
    ("annotation missing", json.dumps(_with(("annotation",), ...)).encode(), "annotation"),
    ("task a string", json.dumps(_with(("task",), "x")).encode(), "'task' must be an object"),
    (
        "deletion with annotations a number",
        json.dumps({"action": "ANNOTATIONS_DELETED", "annotations": 5}).encode(),
        "'annotations' must be a list, got a number",
    ),
    (
        "a NUL in the label",
        json.dumps(_with(("annotation", "result", 0, "value", "choices"), ["Posi\x00tive"])).encode(),
        "control character U+0000",
    ),
    (
        "a NUL in the annotator",
        json.dumps(_with(("annotation", "completed_by"), {"id": "a\x00b"})).encode(),
        "control character U+0000",
    ),
    ("huge id", json.dumps(_with(("annotation", "id"), 10**30)).encode(), "annotation"),
]


@pytest.mark.parametrize(
    ("body", "reason"), [(b, r) for _, b, r in MALFORMED], ids=[i for i, _, _ in MALFORMED]
)
def test_malformed_bodies_are_400_with_the_reason(
    port: int, engine: Engine, body: bytes, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    before = row_counts(engine)
    with caplog.at_level(logging.ERROR):
        status, answer = _post(port, body)
    assert status == 400, answer
    assert reason in answer["error"], answer
    assert row_counts(engine) == before
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"


def test_the_good_body_is_stored(port: int, engine: Engine) -> None:
    before = row_counts(engine)["annotations"]
    assert _post(port, json.dumps(GOOD).encode()) == (
        200,
        {"inserted": 1, "replaced": 0, "removed": 0, "gold": 0, "items": 1},
    )
    assert row_counts(engine)["annotations"] == before + 1


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
_PATHS = [
    ("action",), ("annotation",), ("annotation", "id"), ("annotation", "task"), ("annotation", "completed_by"),
    ("annotation", "completed_by", "id"), ("annotation", "result"), ("annotation", "result", 0),
    ("annotation", "result", 0, "from_name"), ("annotation", "result", 0, "type"),
    ("annotation", "result", 0, "value"), ("annotation", "result", 0, "value", "choices"),
    ("annotation", "was_cancelled"), ("annotation", "ground_truth"), ("annotation", "lead_time"),
    ("annotation", "created_at"), ("annotation", "updated_at"), ("task",), ("task", "id"),
]  # fmt: skip


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(_PATHS), value=_JSON, action=st.sampled_from(
    ["ANNOTATION_CREATED", "ANNOTATION_UPDATED", "ANNOTATIONS_DELETED"]))  # fmt: skip
def test_property_any_value_in_any_field_is_200_or_400_never_500(
    port: int, engine: Engine, path: tuple[str | int, ...], value: Any, action: str
) -> None:
    body = _with(path, value)
    if path != ("action",):
        body["action"] = action
    before = row_counts(engine)
    status, answer = _post(port, json.dumps(body).encode())
    assert status in (200, 400), (status, answer)
    if status == 400:
        assert isinstance(answer["error"], str) and answer["error"], answer
        assert row_counts(engine) == before
