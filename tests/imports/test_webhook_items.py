"""Issue 12 item 2 over real HTTP on both backends: the Label Studio webhook keeps the task's `data` as the
item's display data, in the annotation's transaction (a refused event stores neither)."""

from __future__ import annotations

import copy
import http.client
import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from bot.config import Config, ProjectConfig
from bot.hooks.label_studio import SECRET_HEADER, label_studio_wsgi
from bot.imports.items import MAX_DATA_BYTES
from bot.server import serve_in_thread
from bot.store.db import session_scope
from bot.store.items import ItemLabel, get_item
from tests.conftest import row_counts

SECRET = "s3cret-value"
EVENT: dict[str, Any] = {
    "action": "ANNOTATION_CREATED",
    "annotation": {
        "id": 7, "task": 507, "completed_by": {"id": 2},
        "result": [{"id": "x", "from_name": "sentiment", "to_name": "text", "type": "choices",
                    "value": {"choices": ["Positive"]}}],
        "was_cancelled": False, "ground_truth": False, "lead_time": 3.2,
        "created_at": "2026-10-01T08:00:00Z", "updated_at": "2026-10-01T09:00:00Z",
    },
    "task": {"id": 507, "data": {"text": "Great phone, awful battery.", "image": "https://cdn.example/507.jpg",
                                 "meta": {"lang": "en"}}},
    "project": {"id": 2, "title": "Reviews"},
}  # fmt: skip


@pytest.fixture
def port(project: str, engine: Engine) -> Iterator[int]:
    """The hook app on 127.0.0.1:<port>."""
    config = Config(database_url=project, projects=(ProjectConfig("reviews", "mini", (), "LS_SECRET"),))
    srv, port = serve_in_thread(label_studio_wsgi(engine, config, env={"LS_SECRET": SECRET}), threads=4)
    yield port
    srv.stop()


def _post(port: int, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Content-Type": "application/json", SECRET_HEADER: SECRET}
    conn.request("POST", "/hooks/label-studio/reviews", body=json.dumps(body), headers=headers)
    resp = conn.getresponse()
    status, data = resp.status, resp.read()
    conn.close()
    return status, json.loads(data)


def _event(**task: Any) -> dict[str, Any]:
    body = copy.deepcopy(EVENT)
    body["task"].update(task)
    return body


def test_created_annotation_stores_the_task_data(port: int, engine: Engine) -> None:
    status, reply = _post(port, EVENT)
    assert status == 200 and reply["items"] == 1 and reply["inserted"] == 1
    with session_scope(engine) as s:
        item = get_item(s, "reviews", "507")
    assert item is not None
    assert item.text == "Great phone, awful battery." and item.url == "https://cdn.example/507.jpg"
    assert item.data == EVENT["task"]["data"] and item.note is None
    assert item.labels == (ItemLabel("annotator", "sentiment", "Positive", "2"),)


def test_an_update_with_new_task_data_replaces_it(port: int, engine: Engine) -> None:
    assert _post(port, EVENT)[0] == 200
    upd = _event(data={"text": "edited in the tool"})
    upd["action"] = "ANNOTATION_UPDATED"
    assert _post(port, upd)[0] == 200
    with session_scope(engine) as s:
        item = get_item(s, "reviews", "507")
    assert item is not None and item.text == "edited in the tool" and item.url is None
    assert item.data == {"text": "edited in the tool"}


def test_a_cancelled_annotation_still_keeps_what_the_labeler_saw(port: int, engine: Engine) -> None:
    body = copy.deepcopy(EVENT)
    body["annotation"]["was_cancelled"] = True
    status, reply = _post(port, body)
    assert (status, reply) == (200, {"skipped": "cancelled", "items": 1})
    with session_scope(engine) as s:
        item = get_item(s, "reviews", "507")
    assert item is not None and item.text == EVENT["task"]["data"]["text"] and item.labels == ()


def test_oversized_task_data_is_left_out_with_a_note_and_the_annotation_kept(
    port: int, engine: Engine
) -> None:
    big = {"text": "short text", "blob": "b" * MAX_DATA_BYTES}
    status, reply = _post(port, _event(data=big))
    assert status == 200 and reply["inserted"] == 1
    with session_scope(engine) as s:
        item = get_item(s, "reviews", "507")
    assert item is not None and item.text == "short text" and item.data is None
    assert item.note is not None and f"task data left out: larger than {MAX_DATA_BYTES:,} bytes" in item.note


def test_a_refused_event_stores_no_item_either(port: int, engine: Engine) -> None:
    body = copy.deepcopy(EVENT)
    body["annotation"]["result"][0]["value"]["choices"] = ["Happy"]
    before = row_counts(engine)
    status, reply = _post(port, body)
    assert status == 400 and "unknown label 'Happy'" in reply["error"]
    assert row_counts(engine) == before


def test_an_event_without_task_data_stores_no_item(port: int, engine: Engine) -> None:
    body = copy.deepcopy(EVENT)
    del body["task"]
    status, reply = _post(port, body)
    assert status == 200 and reply["items"] == 0
    assert row_counts(engine)["items"] == 0


_ANY = st.text(st.characters(), max_size=30)  # controls, NUL and lone surrogates included
_VALUE = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _ANY,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_ANY, inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.dictionaries(st.sampled_from(["text", "image", "url", "other"]) | _ANY, _VALUE, max_size=5))
def test_property_any_task_data_is_acknowledged_and_kept_verbatim(
    port: int, engine: Engine, data: dict[str, Any]
) -> None:
    status, reply = _post(port, _event(data=data))
    assert status == 200, reply
    with session_scope(engine) as s:
        item = get_item(s, "reviews", "507")
    assert item is not None
    # JSON text (json.dumps escapes surrogates and controls) round-trips to the same value.
    assert item.data == data
    for shown in (item.text, item.url):
        assert shown is None or not any("\x00" <= c < " " and c not in "\t\n\r" for c in shown)
