"""`/guide` and its buttons: "Show section", "Share in channel", and the feedback ("Helpful", "None of these")."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient

from bot.jobs.answer import Answer
from bot.jobs.feedback import helpful_job, none_of_these_job
from bot.jobs.guide import answer_and_remember, section_answer_job
from bot.slack.blocks.feedback_link import GUIDE_HELPFUL, GUIDE_NONE_OF_THESE
from bot.slack.blocks.mrkdwn import plain_text
from bot.slack.blocks.section_link import GUIDE_SHARE_SECTION, GUIDE_SHOW_SECTION
from bot.slack.deps import Deps
from bot.slack.edge import after_ack, show_in_modal
from bot.store.guide_context import config_projects


def _respond_pages(respond: Respond, result: Answer) -> None:
    for page in result.pages:
        respond(blocks=page, text=result.text, response_type="ephemeral", replace_original=False)


def register(app: App, deps: Deps) -> None:
    """Register the slash command and its buttons."""

    def guide_command(respond: Respond, client: WebClient, context: Any, body: dict[str, Any]) -> None:
        command = body  # a slash command's body is the command
        result = deps.workers.run(
            answer_and_remember,
            # Slack sends mrkdwn: mentions, channels and links are read as Slack means them.
            plain_text(command.get("text") or ""),
            user_id=command.get("user_id", ""),
            max_results=deps.config.slack.max_results,
            # The channel's project (or in a DM the user's last question) says which guideline comes first.
            channel=command.get("channel_id") or "",
            projects=config_projects(deps.config.projects),
        )
        _respond_pages(respond, result)

    # Which guideline a channel's questions are for: its project's in the config's [[projects]].
    channels = {c: p.guideline for p in reversed(deps.config.projects) for c in p.channels}

    def feedback(job: Any) -> Any:
        def on_click(respond: Respond, client: WebClient, context: Any, body: dict[str, Any]) -> None:
            # Ephemeral to the clicker, beside the answer: a mention's answer is public in its thread.
            value = body["actions"][0].get("value", "")
            result = deps.workers.run(job, value, user_id=body["user"]["id"], channel_guidelines=channels)
            _respond_pages(respond, result)

        on_click.__name__ = on_click.__qualname__ = job.__name__
        return on_click

    def show_section(respond: Respond, client: WebClient, context: Any, body: dict[str, Any]) -> None:
        result = deps.workers.run(section_answer_job, body["actions"][0].get("value", ""))
        if body.get("response_url"):
            _respond_pages(respond, result)
        else:
            # From App Home there is no message to answer: show the section in a modal.
            show_in_modal(client, body, result.pages)

    def share_section(respond: Respond, client: WebClient, context: Any, body: dict[str, Any]) -> None:
        user_id = body["user"]["id"]
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        result = deps.workers.run(section_answer_job, body["actions"][0].get("value", ""), shared_by=user_id)
        for page in result.pages:
            client.chat_postMessage(channel=channel, blocks=page, text=result.text, unfurl_links=False)

    app.command(deps.config.slack.command)(after_ack(deps.background, guide_command))
    app.action(GUIDE_SHOW_SECTION)(after_ack(deps.background, show_section))
    app.action(GUIDE_SHARE_SECTION)(after_ack(deps.background, share_section))
    app.action(GUIDE_HELPFUL)(after_ack(deps.background, feedback(helpful_job)))
    app.action(GUIDE_NONE_OF_THESE)(after_ack(deps.background, feedback(none_of_these_job)))
