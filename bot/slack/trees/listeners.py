"""The decision-tree buttons: Start, an option, Back, Start over (the walk message is replaced) and
Share result (posted to the channel once). `/guide tree …` itself is parsed by the guide feature."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient

from bot.jobs.answer import Answer
from bot.jobs.trees import share_job, walk_job
from bot.slack.blocks.tree_link import TREE_SHARE, TREE_START, TREE_STEP_ACTIONS
from bot.slack.deps import Deps
from bot.slack.edge import after_ack


def _replace(respond: Respond, result: Answer) -> None:
    first, *rest = result.pages
    respond(blocks=first, text=result.text, response_type="ephemeral", replace_original=True)
    for page in rest:
        respond(blocks=page, text=result.text, response_type="ephemeral", replace_original=False)


def register(app: App, deps: Deps) -> None:
    """Register the tree buttons."""

    def step(respond: Respond, client: WebClient, context: Any, body: dict[str, Any]) -> None:
        action = body["actions"][0]
        result = deps.workers.run(
            walk_job,
            action.get("value", ""),
            user_id=body["user"]["id"],
            new_walk=action.get("action_id") == TREE_START,
        )
        if action.get("action_id") == TREE_START:
            # Started from a /guide answer or the list: the walk is a message of its own.
            for page in result.pages:
                respond(blocks=page, text=result.text, response_type="ephemeral", replace_original=False)
        else:
            _replace(respond, result)

    def share(respond: Respond, client: WebClient, context: Any, body: dict[str, Any]) -> None:
        result = deps.workers.run(share_job, body["actions"][0].get("value", ""), user_id=body["user"]["id"])
        if result is None:  # shared before, by this click's twin or on another replica
            return
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        thread = (body.get("container") or {}).get("thread_ts")
        for page in result.pages:
            client.chat_postMessage(
                channel=channel, thread_ts=thread, blocks=page, text=result.text, unfurl_links=False
            )

    app.action(TREE_STEP_ACTIONS)(after_ack(deps.background, step))
    app.action(TREE_SHARE)(after_ack(deps.background, share))
