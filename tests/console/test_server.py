"""The console's loopback Slack: Web API answers and response_url deliveries."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from bot.console.server import BOT_USER_ID, ConsoleSlack


def test_web_api_calls_are_answered_and_messages_queued() -> None:
    with ConsoleSlack() as slack:
        assert slack.url.startswith("http://127.0.0.1:")
        client = WebClient(base_url=slack.api_url, token="xoxb-console")
        assert client.auth_test()["user_id"] == BOT_USER_ID
        posted = client.chat_postMessage(channel="C1", text="hi", blocks=[{"type": "divider"}])
        assert posted["ok"] and posted["channel"] == "C1" and posted["ts"]
        assert client.views_publish(user_id="U1", view={"type": "home", "blocks": []})["ok"]
        delivery = slack.deliveries.get(timeout=5)
        assert (delivery.method, delivery.payload["blocks"]) == ("chat.postMessage", [{"type": "divider"}])
        # App Home publishes are answered but not shown: there is no Home tab in a terminal.
        assert slack.deliveries.empty()
        assert [m for m, _ in slack.calls] == ["auth.test", "chat.postMessage", "views.publish"]


def test_response_urls_are_distinct_and_queue_their_posts() -> None:
    with ConsoleSlack() as slack:
        first, second = slack.new_response_url(), slack.new_response_url()
        assert first != second and first.startswith(slack.url)
        assert WebhookClient(second).send(text="answer", response_type="ephemeral").status_code == 200
        delivery = slack.deliveries.get(timeout=5)
        assert (delivery.kind, delivery.response_url, delivery.payload["text"]) == (
            "response",
            second,
            "answer",
        )
