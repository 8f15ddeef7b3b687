"""The Label Studio webhook, served by waitress on loopback: secret, concurrency, idempotence."""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import Engine, select

from bot.config import Config, ProjectConfig
from bot.hooks.label_studio import SECRET_HEADER, label_studio_wsgi
from bot.server import serve_in_thread
from bot.store.db import session_scope
from bot.store.models.annotations import Annotation, AnnotationHistory
from tests.conftest import row_counts

SECRET = "s3cret-value"


@pytest.fixture
def server(project: str, engine: Engine) -> Iterator[int]:
    """The hook app on 127.0.0.1:<port>."""
    config = Config(database_url=project, projects=(ProjectConfig("reviews", "mini", (), "LS_SECRET"),))
    app = label_studio_wsgi(engine, config, env={"LS_SECRET": SECRET})
    # bot.server's runner stops waitress on its own thread: closing the socket from here races
    # the server loop (EBADF in select).
    srv, port = serve_in_thread(app, threads=16)
    yield port
    srv.stop()


def _payload(
    ann_id: int,
    label: str = "Positive",
    updated: str = "2026-10-01T09:00:00Z",
    action: str = "ANNOTATION_CREATED",
) -> dict[str, Any]:
    return {
        "action": action,
        "annotation": {
            "id": ann_id, "task": 500 + ann_id, "completed_by": {"id": ann_id % 5},
            "result": [{"id": "x", "from_name": "sentiment", "to_name": "text", "type": "choices",
                        "value": {"choices": [label]}}],
            "was_cancelled": False, "ground_truth": False, "lead_time": 3.2,
            "created_at": "2026-10-01T08:00:00Z", "updated_at": updated,
        },
        "task": {"id": 500 + ann_id, "data": {"text": "..."}},
        "project": {"id": 2, "title": "Reviews"},
    }  # fmt: skip


def _post(
    port: int, body: dict[str, Any], secret: str | None = SECRET, project: str = "reviews"
) -> tuple[int, float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[SECRET_HEADER] = secret
    start = time.perf_counter()
    conn.request("POST", f"/hooks/label-studio/{project}", body=json.dumps(body), headers=headers)
    status = conn.getresponse().status
    elapsed = time.perf_counter() - start
    conn.close()
    return status, elapsed


def test_50_concurrent_creates_are_acknowledged_fast_and_stored_once(server: int, engine: Engine) -> None:
    # A running server has warm connections: open them with deletions of unknown ids (store nothing).
    with ThreadPoolExecutor(max_workers=16) as pool:
        warm = {"action": "ANNOTATIONS_DELETED", "annotations": [{"id": 99_999}]}
        assert all(s == 200 for s, _ in pool.map(lambda _i: _post(server, warm), range(16)))
    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(lambda i: _post(server, _payload(i)), range(50)))
    assert all(status == 200 for status, _ in results)
    slowest = sorted((round(elapsed, 3) for _, elapsed in results), reverse=True)[:5]
    # Client threads share this process (and its GIL) with the server: a failure shows the figures.
    assert slowest[0] < 1.0, f"slowest acknowledgements (s): {slowest}"
    # Label Studio retries: the same deliveries again store nothing new.
    with ThreadPoolExecutor(max_workers=50) as pool:
        assert all(s == 200 for s, _ in pool.map(lambda i: _post(server, _payload(i)), range(50)))
    with session_scope(engine) as s:
        ext = s.scalars(select(Annotation.external_id)).all()
    assert sorted(ext, key=int) == [str(i) for i in range(50)]
    assert row_counts(engine)["annotation_history"] == 0


def test_missing_or_wrong_secret_is_401_and_stores_nothing(server: int, engine: Engine) -> None:
    before = row_counts(engine)
    assert _post(server, _payload(1), secret=None)[0] == 401
    assert _post(server, _payload(1), secret="wrong")[0] == 401
    assert _post(server, _payload(1), project="unknown")[0] == 401
    assert row_counts(engine) == before


def test_update_replaces_and_delete_removes(server: int, engine: Engine) -> None:
    assert _post(server, _payload(7))[0] == 200
    upd = _payload(7, "Negative", "2026-10-01T10:00:00Z", "ANNOTATION_UPDATED")
    assert _post(server, upd)[0] == 200
    assert (
        _post(server, _payload(7, "Neutral", "2026-10-01T09:30:00Z", "ANNOTATION_UPDATED"))[0] == 200
    )  # stale
    with session_scope(engine) as s:
        assert s.scalars(select(Annotation.label)).all() == ["Negative"]
        assert [(h.old_label, h.new_label) for h in s.scalars(select(AnnotationHistory))] == [
            ("Positive", "Negative")
        ]
    assert _post(server, {"action": "ANNOTATIONS_DELETED", "annotations": [{"id": 7}]})[0] == 200
    counts = row_counts(engine)
    assert counts["annotations"] == 0 and counts["annotation_history"] == 2


def test_invalid_label_is_400(server: int, engine: Engine) -> None:
    before = row_counts(engine)
    assert _post(server, _payload(3, "Happy"))[0] == 400
    assert row_counts(engine) == before
