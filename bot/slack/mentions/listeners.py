"""`@annobot QUESTION` in a channel: answered in a thread with the `/guide` engine."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import App
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient

from bot.jobs.guide import answer_and_remember
from bot.slack.blocks.mrkdwn import plain_text
from bot.slack.deps import Deps
from bot.slack.edge import EXPECTED, after_ack, explain_in_thread
from bot.store.guide_context import config_projects

# The bot's own mention at the start of an app_mention text.
_LEADING_MENTION = re.compile(r"^\s*(?:<@[A-Z0-9]+(?:\|[^>]*)?>\s*)+")
# A walk's buttons replace the message they are on: in a thread everyone would see and steer one walk.
TREE_IN_PUBLIC = (
    "Decision trees are walked privately, one question at a time: use `/guide tree` to list them and "
    "`/guide tree SLUG/TREE` to walk one."
)


def strip_mention(text: str) -> str:
    """An app_mention's text without the leading bot mention(s)."""
    return _LEADING_MENTION.sub("", text, count=1).strip()


def register(app: App, deps: Deps) -> None:
    """Register the app_mention listener."""

    def answer_mention(respond: Respond, client: WebClient, context: Any, body: dict[str, Any]) -> None:
        event = body["event"]
        # Mentions of others, @here, links: read as Slack means them, not searched as words.
        text = plain_text(strip_mention(event.get("text") or ""))
        thread = event.get("thread_ts") or event["ts"]
        if text.split()[:1] and text.split()[0].lower() == "tree":
            client.chat_postMessage(
                channel=event["channel"], thread_ts=thread, text=TREE_IN_PUBLIC, unfurl_links=False
            )
            return
        try:
            result = deps.workers.run(
                answer_and_remember,
                text,
                user_id=event.get("user", ""),
                max_results=deps.config.slack.max_results,
                # The thread's last answer, else the channel's project, says which guideline comes first;
                # this answer is remembered for the thread it goes to.
                channel=event.get("channel") or "",
                thread_ts=thread,
                projects=config_projects(deps.config.projects),
            )
        except EXPECTED as exc:
            # A wrong question (unknown version, bad diff) is answered where it was asked.
            explain_in_thread(exc, client, event["channel"], thread)
            return
        for page in result.pages:
            client.chat_postMessage(
                channel=event["channel"], thread_ts=thread, blocks=page, text=result.text, unfurl_links=False
            )

    app.event("app_mention")(after_ack(deps.background, answer_mention))
