"""The Bolt app factory: configuration in, a ready `App` out; nothing is built at import time."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk import WebClient
from slack_sdk.http_retry import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler
from sqlalchemy import Engine

from bot.authz.guard import Authorizer
from bot.config import Config
from bot.errors import ConfigError
from bot.jobs.workers import InlineWorkers, Workers
from bot.slack.deps import Deps
from bot.slack.edge import explain_in_context
from bot.slack.flag_queue import listeners as flag_queue
from bot.slack.flags import listeners as flags
from bot.slack.guide import listeners as guide
from bot.slack.home import listeners as home
from bot.slack.mentions import listeners as mentions
from bot.slack.quality import listeners as quality
from bot.slack.request import drop_controls
from bot.slack.trees import listeners as trees
from bot.store.db import is_sqlite, make_engine, require_head
from bot.store.events import claim_event

log = logging.getLogger("annobot.slack")

# Bounded retries: a 429 is retried honouring Retry-After, 5xx and dropped connections with
# backoff; after these many attempts the call fails and the error is logged.
MAX_RATE_LIMIT_RETRIES = 3
MAX_SERVER_ERROR_RETRIES = 2
MAX_CONNECTION_RETRIES = 2
# Work after the ack runs on these threads: it hands the job to the workers, waits, and posts
# the result, so the threads mostly wait on I/O.
BACKGROUND_THREADS = 8


def _require(value: str | None, name: str) -> str:
    if not value:
        raise ConfigError(f"{name} is not set: export it (see slack/manifest.yml and docs/install.md)")
    return value


def make_client(config: Config) -> WebClient:
    """A WebClient for the configured API URL and bot token, with retry handlers."""
    token = _require(config.slack.bot_token, "SLACK_BOT_TOKEN")
    client = WebClient(token=token, base_url=config.slack.api_url)
    add_retry_handlers(client)
    return client


def add_retry_handlers(client: WebClient) -> None:
    """Retry 429 (honouring Retry-After), 5xx and connection errors, each a bounded number of times."""
    present = {type(h) for h in client.retry_handlers}
    for handler in (
        RateLimitErrorRetryHandler(max_retry_count=MAX_RATE_LIMIT_RETRIES),
        ServerErrorRetryHandler(max_retry_count=MAX_SERVER_ERROR_RETRIES),
        ConnectionErrorRetryHandler(max_retry_count=MAX_CONNECTION_RETRIES),
    ):
        if type(handler) not in present:
            client.retry_handlers.append(handler)


class AnnobotApp(App):
    """Bolt's App, plus what the HTTP edge in front of it needs (`bot.slack.http.SlackEdge`).

    Bolt's own request verification is off: the edge verifies every HTTP request before Bolt sees
    it, and Socket Mode requests come over an authenticated connection.
    """

    def __init__(self, *, signing_secret: str, engine: Engine, **kwargs: Any) -> None:
        """`signing_secret` is what the edge verifies with; `engine` holds its replay keys."""
        super().__init__(signing_secret=signing_secret, request_verification_enabled=False, **kwargs)
        self.signing_secret = signing_secret
        self.engine = engine


def create_app(
    config: Config,
    client: WebClient | None = None,
    *,
    engine: Engine | None = None,
    workers: Workers | None = None,
) -> AnnobotApp:
    """Build the Bolt app with dedupe middleware, error handler and every listener registered.

    `workers` runs the jobs (answers, Home tabs). Whoever serves the app owns them: builds them
    (`bot.jobs.workers.make_workers`), starts them before serving and closes them afterwards, as
    `annobot run` does. By default they run inline on `engine`: cheap, in-process, nothing to close.
    """
    secret = _require(config.slack.signing_secret, "SLACK_SIGNING_SECRET")
    if client is None:
        client = make_client(config)
    else:
        _require(client.token, "SLACK_BOT_TOKEN")
        add_retry_handlers(client)
    if engine is None:
        engine = make_engine(config.database_url)
        if not is_sqlite(config.database_url):
            require_head(engine)
    background = ThreadPoolExecutor(max_workers=BACKGROUND_THREADS, thread_name_prefix="annobot-slack")
    app = AnnobotApp(
        client=client,
        signing_secret=secret,
        engine=engine,
        # No auth.test at construction (start-up must not need the network); bolt calls it once,
        # lazily, on the first request.
        token_verification_enabled=False,
        # Listeners run on the request thread: they ack and hand their work to `background`
        # (bot.slack.edge.after_ack, after_validation), so the HTTP answer leaves as soon as the ack
        # is given.
        process_before_response=True,
        listener_executor=background,
        logger=log,
    )
    if workers is None:
        workers = InlineWorkers(engine)
    deps = Deps(
        config=config,
        engine=engine,
        workers=workers,
        background=background,
        authorizer=Authorizer.from_config(config, client),
    )
    # First: nothing after it (dedupe keys, lookups, searches) sees a control character.
    app.middleware(_drop_controls)
    app.middleware(_dedupe_events(engine))
    app.error(_on_error)
    _register_listeners(app, deps)
    return app


def _register_listeners(app: App, deps: Deps) -> None:
    flags.register(app, deps)
    flag_queue.register(app, deps)
    guide.register(app, deps)
    home.register(app, deps)
    mentions.register(app, deps)
    quality.register(app, deps)
    trees.register(app, deps)


def _drop_controls(req: BoltRequest, next: Any) -> BoltResponse | None:
    """NUL and other C0 controls (not tab, newline) leave every string of the body, on every transport."""
    req.body = drop_controls(req.body)
    return next()


def _dedupe_events(engine: Engine) -> Any:
    def dedupe_events(body: dict[str, Any], next: Any, logger: logging.Logger) -> BoltResponse | None:
        """Slack retries events up to 3 times: the first delivery of an event_id wins, the rest are acked."""
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not claim_event(engine, str(event_id)):
            logger.info("duplicate delivery of event %s dropped", event_id)
            return BoltResponse(status=200, body="")
        return next()

    return dedupe_events


def _on_error(error: Exception, client: WebClient, context: Any, logger: logging.Logger) -> None:
    """Errors raised on the request thread (listeners, middleware): explain or log them."""
    explain_in_context(error, client, context, logger)
