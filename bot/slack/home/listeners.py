"""App Home: published with `views.publish` on `app_home_opened`; its buttons."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from slack_bolt import App
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient

from bot.authz.roles import Action
from bot.jobs.guide import answer_and_remember, help_answer
from bot.jobs.home import home_view_job
from bot.slack.deps import Deps
from bot.slack.edge import after_ack, show_in_modal
from bot.slack.home.builder import HOME_DIFF, HOME_HELP


def register(app: App, deps: Deps) -> None:
    """Register the Home tab and its buttons."""

    def publish_home(respond: Respond, client: WebClient, context: Any, body: dict[str, Any]) -> None:
        event = body["event"]
        if event.get("tab", "home") != "home":
            return
        user_id = event["user"]
        # Which queues to show: a look, not an action, so nothing is audited (`/flag queue` is).
        leads = [
            p.name
            for p in deps.config.projects
            if deps.authorizer.may(user_id, Action.FLAG_QUEUE, p.name).allowed
        ]
        view = deps.workers.run(home_view_job, user_id, leads, datetime.now(UTC))
        client.views_publish(user_id=user_id, view=view)

    def home_help(respond: Respond, client: WebClient, context: Any, body: dict[str, Any]) -> None:
        show_in_modal(client, body, help_answer().pages)

    def home_diff(respond: Respond, client: WebClient, context: Any, body: dict[str, Any]) -> None:
        # A diff is not a search: nothing is remembered for it.
        result = deps.workers.run(
            answer_and_remember, "diff " + body["actions"][0].get("value", ""), user_id=body["user"]["id"]
        )
        show_in_modal(client, body, result.pages)

    app.event("app_home_opened")(after_ack(deps.background, publish_home))
    app.action(HOME_HELP)(after_ack(deps.background, home_help))
    app.action(HOME_DIFF)(after_ack(deps.background, home_diff))
