"""Label Studio webhook receiver: POST /hooks/label-studio/<PROJECT>, stored at once, answered fast.

Authentication: header `X-Annobot-Secret` must equal the value of the environment variable named by the
project's `label_studio_secret_env` (constant-time comparison). Anything else is 401 and stores nothing.
Idempotent: annotation rows carry the Label Studio annotation id (`external_id`) and use its
`updated_at` as their time, so a repeated delivery matches the stored row and changes nothing.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from bot.config import Config, ProjectConfig
from bot.errors import AnnobotError
from bot.hooks.payload import ACTIONS, DELETIONS, annotation_and_item, deleted_ids, parse_body
from bot.imports.readers import flatten_ls_annotation
from bot.imports.rows import GoldRow, LabelSet, Problems, Tally, annotation_rows, row_time, task_item
from bot.store.annotations import delete_by_external_id, drop_removed_results, merge_few, upsert_gold
from bot.store.db import session_scope
from bot.store.items import upsert_items
from bot.store.projects import project_labels, sync_config_projects

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Annobot-Secret"
PREFIX = "/hooks/label-studio/"
MAX_BODY = 5 * 1024 * 1024

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


def _reply(start: StartResponse, status: str, body: dict[str, Any]) -> list[bytes]:
    data = json.dumps(body).encode()
    start(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def _project_name(environ: Mapping[str, Any]) -> str:
    # Works mounted at the root (full path) or under /hooks/label-studio/ (SCRIPT_NAME holds the prefix).
    path = environ.get("PATH_INFO", "")
    if path.startswith(PREFIX):
        path = path[len(PREFIX) :]
    return path.strip("/")


def _authorized(environ: Mapping[str, Any], project: ProjectConfig | None, env: Mapping[str, str]) -> bool:
    given = environ.get("HTTP_" + SECRET_HEADER.upper().replace("-", "_"), "")
    if project is None or not project.label_studio_secret_env:
        return False
    expected = env.get(project.label_studio_secret_env, "")
    # compare_digest on both paths keeps the timing independent of where the strings differ.
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


class LabelStudioHook:
    """The WSGI callable; one short transaction per request."""

    def __init__(self, engine: Engine, config: Config, env: Mapping[str, str] | None = None) -> None:
        self.engine = engine
        self.config = config
        self.env = os.environ if env is None else env
        self.projects = {p.name: p for p in config.projects}
        # The config is read once at start-up, so its projects are synced once here, not on every
        # request: the request path stays one short transaction with no extra query.
        with session_scope(engine) as session:
            sync_config_projects(session, config.projects)
        # SQLite has one writer: serialising here avoids lock upgrade failures between threads.
        self._lock = threading.Lock() if engine.dialect.name == "sqlite" else None

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Handle one request."""
        if environ.get("REQUEST_METHOD") != "POST":
            return _reply(start_response, "405 Method Not Allowed", {"error": "POST only"})
        name = _project_name(environ)
        if not _authorized(environ, self.projects.get(name), self.env):
            return _reply(start_response, "401 Unauthorized", {"error": "missing or wrong secret"})
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            return _reply(start_response, "413 Content Too Large", {"error": "body too large"})
        try:
            payload = parse_body(environ["wsgi.input"].read(length))
        except AnnobotError as exc:
            return _reply(start_response, "400 Bad Request", {"error": exc.message})
        if payload["action"] not in ACTIONS:  # other Label Studio events (projects, tasks): not ours
            return _reply(start_response, "200 OK", {"ignored": payload["action"]})
        try:
            if self._lock is not None:
                with self._lock:
                    result = self.handle(name, payload)
            else:
                result = self.handle(name, payload)
        except AnnobotError as exc:
            return _reply(start_response, "400 Bad Request", {"error": exc.message})
        return _reply(start_response, "200 OK", result)

    def handle(self, project: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Store one event; returns what was done."""
        action = payload["action"]
        with session_scope(self.engine) as session:
            now = datetime.now(UTC)
            if action in DELETIONS:
                deleted = 0
                for ext in deleted_ids(payload):
                    deleted += delete_by_external_id(session, project, ext, now)
                return {"deleted": deleted}
            ann, item = annotation_and_item(payload)
            labels = project_labels(session, project)
            problems, tally, gold = Problems(), Tally(), list[GoldRow]()
            records = flatten_ls_annotation(ann, item, f"annotation {ann.get('id')}")
            rows = list(
                annotation_rows(
                    records,
                    LabelSet(labels.labels, labels.scale),
                    problems,
                    tally,
                    row_time(datetime.now(UTC)),
                    gold,
                )
            )
            problems.raise_if_any("webhook")
            task = payload.get("task")
            shown = task_item(item, task.get("data")) if isinstance(task, dict) else None
            if shown is not None:  # the task as the labeler saw it, even when they cancelled
                upsert_items(session, project, [shown], "webhook")
            if tally.cancelled:
                return {"skipped": "cancelled", "items": int(shown is not None)}
            inserted, replaced = merge_few(session, project, labels.version, "webhook", rows)
            removed = 0
            if action == "ANNOTATION_UPDATED" and rows:
                removed = drop_removed_results(session, project, rows, now)
            if gold:
                upsert_gold(session, project, gold)
        return {
            "inserted": inserted,
            "replaced": replaced,
            "removed": removed,
            "gold": len(gold),
            "items": int(shown is not None),
        }


def label_studio_wsgi(
    engine: Engine, config: Config, env: Mapping[str, str] | None = None
) -> LabelStudioHook:
    """The WSGI app to mount at /hooks/label-studio/."""
    return LabelStudioHook(engine, config, env)
