"""The console's loopback Slack (the one fake Slack): Web API answers and response_url deliveries."""

from __future__ import annotations

import json

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot.console.server import BOT_USER_ID, ConsoleSlack


def test_web_api_calls_are_answered_and_messages_queued() -> None:
    with ConsoleSlack() as slack:
        assert slack.url.startswith("http://127.0.0.1:")
        client = WebClient(base_url=slack.url, token="xoxb-console")
        assert client.auth_test()["user_id"] == BOT_USER_ID
        posted = client.chat_postMessage(channel="C1", text="hi", blocks=[{"type": "divider"}])
        assert posted["ok"] and posted["channel"] == "C1" and posted["ts"]
        assert client.views_publish(user_id="U1", view={"type": "home", "blocks": []})["ok"]
        delivery = slack.deliveries.get(timeout=5)
        assert (delivery.method, delivery.payload["blocks"]) == ("chat.postMessage", [{"type": "divider"}])
        # App Home publishes are answered but not shown: there is no Home tab in a terminal.
        assert slack.deliveries.empty()
        assert [c.method for c in slack.calls()] == ["auth.test", "chat.postMessage", "views.publish"]


def test_response_urls_are_distinct_and_queue_their_posts() -> None:
    with ConsoleSlack() as slack:
        first, second = slack.new_response_url(), slack.new_response_url()
        assert first != second and first.startswith(slack.base + "/response/")
        assert WebhookClient(second).send(text="answer", response_type="ephemeral").status_code == 200
        delivery = slack.deliveries.get(timeout=5)
        assert (delivery.kind, delivery.response_url, delivery.payload["text"]) == (
            "response",
            second,
            "answer",
        )


def test_form_encoded_blocks_are_decoded_for_the_renderer() -> None:
    with ConsoleSlack() as slack:
        blocks = [{"type": "divider"}]
        slack.client().api_call(
            "chat.update", params={"channel": "C1", "ts": "1.2", "blocks": json.dumps(blocks)}
        )
        delivery = slack.deliveries.get(timeout=5)
        assert (delivery.method, delivery.payload["blocks"]) == ("chat.update", blocks)


def test_refused_calls_show_nothing() -> None:
    with ConsoleSlack() as slack:
        with pytest.raises(SlackApiError):
            # Slack refuses an ephemeral post without `user`.
            slack.client().api_call("chat.postEphemeral", json={"channel": "C1", "text": "no user"})
        assert slack.deliveries.empty()
        assert [c.ok for c in slack.calls("chat.postEphemeral")] == [False]
