"""App Home: published with `views.publish` on `app_home_opened`; its buttons."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient

from bot.jobs.guide import Answer, answer_and_remember
from bot.jobs.home import home_view_job
from bot.slack.deps import Deps
from bot.slack.edge import after_ack
from bot.slack.guide.builder import help_blocks
from bot.slack.home.builder import HOME_DIFF, HOME_HELP
from bot.slack.views import show_without_response_url


def register(app: App, deps: Deps) -> None:
    """Register the Home tab and its buttons."""

    def publish_home(respond: Respond, client: WebClient, context: Any, body: dict[str, Any]) -> None:
        event = body["event"]
        if event.get("tab", "home") != "home":
            return
        user_id = event["user"]
        client.views_publish(user_id=user_id, view=deps.workers.run(home_view_job, user_id))

    def home_help(respond: Respond, client: WebClient, context: Any, body: dict[str, Any]) -> None:
        show_without_response_url(client, body, Answer([help_blocks()], "How to use /guide"))

    def home_diff(respond: Respond, client: WebClient, context: Any, body: dict[str, Any]) -> None:
        # A diff is not a search: nothing is remembered for it.
        result = deps.workers.run(
            answer_and_remember, "diff " + body["actions"][0].get("value", ""), user_id=body["user"]["id"]
        )
        show_without_response_url(client, body, result)

    app.event("app_home_opened")(after_ack(deps.background, publish_home))
    app.action(HOME_HELP)(after_ack(deps.background, home_help))
    app.action(HOME_DIFF)(after_ack(deps.background, home_diff))
