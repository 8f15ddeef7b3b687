"""The fake Slack's conversations.history and its held (never answered) requests, through slack_sdk."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.fakeslack import FakeSlack

META = {"event_type": "annobot_digest_run", "event_payload": {"run_key": "k@1"}}


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        yield server


def test_history_is_newest_first_without_replies_and_metadata_only_when_asked(fake: FakeSlack) -> None:
    client = fake.client()
    first = client.chat_postMessage(channel="C1", text="one", metadata=META)["ts"]
    client.chat_postMessage(channel="C1", text="reply", thread_ts=first)
    second = client.chat_postMessage(channel="C1", text="two")["ts"]
    client.chat_postMessage(channel="C2", text="elsewhere")
    plain = client.conversations_history(channel="C1")
    assert [m["ts"] for m in plain["messages"]] == [second, first] and plain["has_more"] is False
    assert "metadata" not in plain["messages"][1]
    full = client.conversations_history(channel="C1", include_all_metadata=True)
    assert full["messages"][1]["metadata"] == META and full["messages"][1]["bot_id"] == "BBOT"
    assert client.conversations_history(channel="C9")["messages"] == []


def test_history_bounds_are_exclusive_unless_inclusive(fake: FakeSlack) -> None:
    client = fake.client()
    a, b, c = (client.chat_postMessage(channel="C1", text=t)["ts"] for t in "abc")

    def ts(**kw: object) -> list[str]:
        return [m["ts"] for m in client.conversations_history(channel="C1", **kw)["messages"]]

    assert ts(oldest=a) == [c, b] and ts(latest=c) == [b, a] and ts(oldest=a, latest=c) == [b]
    assert ts(oldest=a, latest=c, inclusive=True) == [c, b, a]
    with pytest.raises(SlackApiError) as err:
        client.conversations_history(channel="C1", oldest="yesterday")
    assert err.value.response["error"] == "invalid_ts_oldest"


def test_history_pages_with_cursors_like_slack(fake: FakeSlack) -> None:
    client = fake.client()
    posted = [client.chat_postMessage(channel="C1", text=str(i))["ts"] for i in range(7)]
    page = client.conversations_history(channel="C1", limit=3)
    seen, pages = [m["ts"] for m in page["messages"]], 1
    while page["has_more"]:
        page = client.conversations_history(
            channel="C1", limit=3, cursor=page["response_metadata"]["next_cursor"]
        )
        seen += [m["ts"] for m in page["messages"]]
        pages += 1
    assert seen == posted[::-1] and pages == 3
    # slack_sdk's own pagination follows the same cursors.
    assert sum(len(p["messages"]) for p in client.conversations_history(channel="C1", limit=2)) == 7
    with pytest.raises(SlackApiError) as err:
        client.conversations_history(channel="C1", cursor="not-a-cursor")
    assert err.value.response["error"] == "invalid_cursor"


def test_history_needs_the_history_scope_of_the_channel_kind(fake: FakeSlack) -> None:
    client = fake.client()
    fake.revoke_scope("channels:history")
    with pytest.raises(SlackApiError) as err:
        client.conversations_history(channel="C1")
    assert (err.value.response["error"], err.value.response["needed"]) == (
        "missing_scope",
        "channels:history",
    )
    assert client.conversations_history(channel="G1")["ok"]  # groups:history is still granted
    fake.add_channel("G2", is_member=False)
    with pytest.raises(SlackApiError) as err:
        client.conversations_history(channel="G2")
    assert err.value.response["error"] == "not_in_channel"


def test_deleted_and_updated_messages_show_so_in_history(fake: FakeSlack) -> None:
    client = fake.client()
    keep = client.chat_postMessage(channel="C1", text="old", metadata=META)["ts"]
    gone = client.chat_postMessage(channel="C1", text="bye")["ts"]
    client.chat_update(channel="C1", ts=keep, text="new")
    client.chat_delete(channel="C1", ts=gone)
    [message] = client.conversations_history(channel="C1", include_all_metadata=True)["messages"]
    assert (message["ts"], message["text"], message["metadata"]) == (keep, "new", META)


def test_message_ts_follow_the_clock_given(fake: FakeSlack) -> None:
    moment = datetime(2027, 3, 22, 9, tzinfo=UTC)
    with FakeSlack(clock=lambda: moment) as dated:
        client = dated.client()
        first = client.chat_postMessage(channel="C1", text="a")["ts"]
        second = client.chat_postMessage(channel="C1", text="b")["ts"]
    assert float(first) == moment.timestamp() and float(second) > float(first)  # unique, in order
    assert float(fake.client().chat_postMessage(channel="C1", text="c")["ts"]) < moment.timestamp()


def _post_in_thread(client: WebClient, results: list[object]) -> threading.Thread:
    def post() -> None:
        try:
            results.append(client.chat_postMessage(channel="C1", text="held")["ts"])
        except Exception as exc:  # the test inspects what the client saw
            results.append(exc)

    thread = threading.Thread(target=post)
    thread.start()
    return thread


def test_a_held_post_is_unrecorded_and_unanswered_until_released(fake: FakeSlack) -> None:
    held = fake.hold("chat.postMessage", token="xoxb-a")
    results: list[object] = []
    thread = _post_in_thread(fake.client("xoxb-a"), results)
    [request] = held.wait(timeout=5)
    assert (request.token, request.params["text"]) == ("xoxb-a", "held")
    # Another token's post goes through meanwhile; the held one left no trace.
    fake.client("xoxb-b").chat_postMessage(channel="C1", text="free")
    assert [c.params["text"] for c in fake.calls("chat.postMessage")] == ["free"]
    assert [m["text"] for m in fake.client().conversations_history(channel="C1")["messages"]] == ["free"]
    assert thread.is_alive() and results == []
    held.release()
    thread.join(timeout=5)
    assert isinstance(results[0], str)
    assert [c.params["text"] for c in fake.calls("chat.postMessage")] == ["free", "held"]
    fake.client("xoxb-a").chat_postMessage(channel="C1", text="after")  # a released hold holds no more
    assert len(fake.calls("chat.postMessage")) == 3


def test_a_hold_picks_by_predicate_and_count_and_stop_drops_what_it_holds() -> None:
    results: list[object] = []
    with FakeSlack() as fake:
        client = fake.client(timeout=10)
        held = fake.hold("chat.postMessage", when=lambda p: p.get("text") == "held", times=1)
        thread = _post_in_thread(client, results)
        held.wait(timeout=5)
        client.chat_postMessage(channel="C1", text="held")  # times=1: the second one passes
        client.chat_postMessage(channel="C1", text="other")
        assert [c.params["text"] for c in fake.calls("chat.postMessage")] == ["held", "other"]
    thread.join(timeout=5)
    assert not thread.is_alive()
    [error] = results  # the connection closed without an answer
    assert isinstance(error, Exception)
    assert [c.params["text"] for c in fake.calls("chat.postMessage")] == ["held", "other"]
