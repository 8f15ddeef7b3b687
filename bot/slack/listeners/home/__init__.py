"""App Home: published with `views.publish` on `app_home_opened`; its buttons."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient

from bot.slack.app import Deps
from bot.slack.edge import guarded
from bot.slack.guide_builder import help_blocks
from bot.slack.guide_engine import Answer, answer
from bot.slack.home_builder import HOME_DIFF, HOME_HELP, home_view
from bot.slack.views import show_without_response_url
from bot.store.db import session_scope
from bot.store.guideline_store import list_guidelines
from bot.store.slack_store import recent_lookups


def _ack(ack: Ack) -> None:
    ack()


def register(app: App, deps: Deps) -> None:
    """Register the Home tab and its buttons."""

    @guarded
    def publish_home(respond: Respond, client: WebClient, context: Any, event: dict[str, Any]) -> None:
        if event.get("tab", "home") != "home":
            return
        user_id = event["user"]
        with session_scope(deps.engine) as session:
            summaries = list_guidelines(session)
            current = {g.slug: g.current_version for g in summaries}
            lookups = recent_lookups(session, user_id)
        view = home_view(
            [(g.slug, g.title, g.current_version, g.published_at, g.versions) for g in summaries],
            [(lk.query, lk.guideline, current.get(lk.guideline or ""), lk.anchor) for lk in lookups],
        )
        client.views_publish(user_id=user_id, view=view)

    @guarded
    def home_help(respond: Respond, client: WebClient, context: Any, body: dict[str, Any]) -> None:
        show_without_response_url(client, body, Answer([help_blocks()], "How to use /guide"))

    @guarded
    def home_diff(respond: Respond, client: WebClient, context: Any, body: dict[str, Any]) -> None:
        with session_scope(deps.engine) as session:
            result = answer(
                session, "diff " + body["actions"][0].get("value", ""), user_id=body["user"]["id"]
            )
        show_without_response_url(client, body, result)

    app.event("app_home_opened")(ack=_ack, lazy=[publish_home])
    app.action(HOME_HELP)(ack=_ack, lazy=[home_help])
    app.action(HOME_DIFF)(ack=_ack, lazy=[home_diff])
