"""HTTP mode plumbing: /healthz, mounts, start-up errors."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine

from bot.config import Config
from bot.errors import ConfigError
from bot.server import make_wsgi_app, serve_in_thread
from bot.slack.app import create_app
from tests.bot.helpers import Bot, bot_config
from tests.support.fakeslack import FakeSlack
from tests.support.slackreq import url_verification_body


def test_healthz_ok(bot: Bot) -> None:
    assert bot.get("/healthz") == (200, {"ok": True})


def test_healthz_503_when_database_unreachable(engine: Engine, fake: FakeSlack, tmp_path: Any) -> None:
    if engine.dialect.name == "sqlite":
        dead = create_engine(f"sqlite:///{tmp_path}/no/such/dir/x.db")
    else:
        dead = create_engine("postgresql+psycopg://postgres@127.0.0.1:9/nothing")
    app = create_app(bot_config(fake.url), client=fake.client(), engine=dead)
    server, port = serve_in_thread(make_wsgi_app(app, dead))
    try:
        probe = Bot(fake, dead, server, port, None)  # type: ignore[arg-type]
        status, body = probe.get("/healthz")
        assert status == 503 and body["ok"] is False
    finally:
        server.stop()
        dead.dispose()


def test_mounted_app_sees_its_own_path(engine: Engine, fake: FakeSlack) -> None:
    seen: dict[str, str] = {}

    def hook(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        seen.update(script=environ["SCRIPT_NAME"], path=environ["PATH_INFO"])
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b'{"hook": true}']

    app = create_app(bot_config(fake.url), client=fake.client(), engine=engine)
    server, port = serve_in_thread(make_wsgi_app(app, engine, mounts={"/hooks/label-studio": hook}))
    try:
        probe = Bot(fake, engine, server, port, None)  # type: ignore[arg-type]
        assert probe.get("/hooks/label-studio/proj-1") == (200, {"hook": True})
        assert seen == {"script": "/hooks/label-studio", "path": "/proj-1"}
        assert probe.get("/nope")[0] == 404
    finally:
        server.stop()


def test_url_verification_handshake(bot: Bot) -> None:
    status, _, body = bot.slack.send(url_verification_body("abc123"))
    assert status == 200 and "abc123" in body


@pytest.mark.parametrize("missing", ["bot_token", "signing_secret"])
def test_missing_secret_stops_startup_with_one_line(engine: Engine, missing: str) -> None:
    base = bot_config("http://127.0.0.1:9/api/")
    config = Config(slack=dataclasses.replace(base.slack, **{missing: None}))
    with pytest.raises(ConfigError) as err:
        create_app(config, engine=engine)
    name = {"bot_token": "SLACK_BOT_TOKEN", "signing_secret": "SLACK_SIGNING_SECRET"}[missing]
    assert name in str(err.value) and "\n" not in str(err.value)
