"""Tests of the Slack stand-ins themselves, driven by the real slack_sdk WebClient."""

from __future__ import annotations

import io
import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.error import HTTPError
from urllib.parse import parse_qs

import pytest
from slack_bolt import App, BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import builtin_handlers
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from slack_sdk.signature import SignatureVerifier

from tests.support.fakeslack import MAX_DELAY_SECONDS, FakeSlack, fake_slack  # noqa: F401 (fixture)
from tests.support.slackreq import (
    SlackHttpClient,
    block_actions_body,
    event_body,
    post,
    shortcut_body,
    sign,
    slash_command_body,
    view_submission_body,
)

SECRET = "test-signing-secret"
# Retries in these tests should prove behaviour, not wait out production back-off.
FAST = FixedValueRetryIntervalCalculator(0.01)  # Positional: the kwarg is misspelt upstream.


@pytest.fixture(autouse=True)
def _no_proxy_or_slack_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # A proxy would swallow loopback traffic; Slack env vars would change how bolt's App is built.
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        yield server


def _client(fake: FakeSlack, **kwargs: Any) -> WebClient:
    # Deliberately the plain constructor: this is how bot code will be wired in tests.
    return WebClient(token="xoxb-test", base_url=fake.url, **kwargs)


# --------------------------------------------------------------------------------------------------
# Lifecycle


def test_url_is_loopback_api_base_with_trailing_slash(fake: FakeSlack) -> None:
    assert fake.url == f"http://127.0.0.1:{fake.port}/api/"
    assert fake.port > 0
    assert fake.response_url("r 1") == f"http://127.0.0.1:{fake.port}/response/r%201"


def test_stop_closes_port_and_joins_threads() -> None:
    before = set(threading.enumerate())
    fake = FakeSlack().start()
    port = fake.port
    _client(fake).auth_test()
    fake.stop()
    fake.stop()  # Idempotent, so fixtures may call it unconditionally.
    assert set(threading.enumerate()) <= before
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass


def test_two_fakes_run_side_by_side() -> None:
    with FakeSlack() as one, FakeSlack() as two:
        assert one.port != two.port
        _client(one).chat_postMessage(channel="C1", text="one")
        assert len(one.calls()) == 1
        assert two.calls() == []


def test_stop_is_not_blocked_by_a_delayed_call(fake: FakeSlack) -> None:
    fake.delay("chat.postMessage", MAX_DELAY_SECONDS)
    worker = threading.Thread(
        target=lambda: _client(fake, timeout=5).chat_postMessage(channel="C1", text="x")
    )
    worker.start()
    time.sleep(0.2)  # Let the request reach the fake and start its delay.
    started = time.monotonic()
    fake.stop()
    assert time.monotonic() - started < 2
    worker.join(timeout=5)
    assert not worker.is_alive()


# --------------------------------------------------------------------------------------------------
# Recording and canned answers


def test_calls_are_recorded_with_params_headers_and_time(fake: FakeSlack) -> None:
    client = _client(fake)
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi* & <bye>"}}]
    t0 = time.monotonic()
    client.chat_postMessage(channel="C1", text="hello ✓", blocks=blocks, thread_ts="1.2")
    client.users_info(user="U7")  # Sent form-encoded, unlike chat.postMessage (JSON).

    post_call, info_call = fake.calls()
    assert [c.method for c in fake.calls()] == ["chat.postMessage", "users.info"]
    assert post_call.params["channel"] == "C1"
    assert post_call.params["text"] == "hello ✓"
    assert post_call.params["blocks"] == blocks
    assert post_call.headers["authorization"] == "Bearer xoxb-test"
    assert post_call.headers["content-type"].startswith("application/json")
    assert t0 <= post_call.time <= info_call.time
    assert post_call.seq < info_call.seq
    assert post_call.delivered and post_call.ok and post_call.status == 200
    assert info_call.params == {"user": "U7"}
    assert fake.calls("users.info") == [info_call]


def test_form_encoded_json_args_can_be_decoded(fake: FakeSlack) -> None:
    blocks = [{"type": "divider"}]
    _client(fake).api_call("chat.update", params={"channel": "C1", "ts": "1.2", "blocks": json.dumps(blocks)})
    [call] = fake.calls("chat.update")
    assert call.params["blocks"] == json.dumps(blocks)
    assert call.param_json("blocks") == blocks


def test_auth_test(fake: FakeSlack) -> None:
    resp = _client(fake).auth_test()
    assert resp["ok"] is True
    assert (resp["user_id"], resp["bot_id"], resp["team_id"]) == ("UBOT", "BBOT", "T1")
    assert resp["url"].startswith("https://")


@pytest.mark.parametrize("token", [None, "xoxp-user", "not-a-token", "xoxb-"])
def test_bad_or_missing_token_is_invalid_auth(fake: FakeSlack, token: str | None) -> None:
    with pytest.raises(SlackApiError) as err:
        WebClient(token=token, base_url=fake.url).chat_postMessage(channel="C1", text="x")
    assert err.value.response["error"] == "invalid_auth"
    [call] = fake.calls("chat.postMessage")
    assert call.delivered and not call.ok  # Recorded even though rejected.


def test_message_methods(fake: FakeSlack) -> None:
    client = _client(fake)
    first = client.chat_postMessage(channel="C1", text="a")
    second = client.chat_postMessage(channel="C2", text="b")
    assert first["channel"] == "C1" and second["channel"] == "C2"
    assert first["ts"].startswith("1700000000.") and len(first["ts"]) == len("1700000000.000100")
    assert float(first["ts"]) < float(second["ts"])
    assert first["message"]["text"] == "a" and first["message"]["bot_id"] == "BBOT"

    ephemeral = client.chat_postEphemeral(channel="C1", user="U1", text="psst")
    # Slack answers message_ts (not ts) for ephemeral messages; the fake mirrors that.
    assert float(ephemeral["message_ts"]) > float(second["ts"])
    assert "ts" not in ephemeral.data

    updated = client.chat_update(channel="C1", ts=first["ts"], text="a2")
    assert updated["ts"] == first["ts"] and updated["message"]["text"] == "a2"

    with pytest.raises(SlackApiError) as err, pytest.warns(UserWarning, match="`text` argument is missing"):
        client.chat_postMessage(channel="C1")
    assert err.value.response["error"] == "no_text"


def test_views(fake: FakeSlack) -> None:
    client = _client(fake)
    modal = {
        "type": "modal",
        "callback_id": "flag",
        "title": {"type": "plain_text", "text": "Flag"},
        "blocks": [],
    }
    opened = client.views_open(trigger_id="1.2.3", view=modal)
    assert opened["view"]["id"].startswith("V") and opened["view"]["callback_id"] == "flag"
    updated = client.views_update(view_id=opened["view"]["id"], view=modal)
    assert updated["view"]["id"] == opened["view"]["id"]

    home = {"type": "home", "blocks": [{"type": "divider"}]}
    first = client.views_publish(user_id="U1", view=home)
    again = client.views_publish(user_id="U1", view=home)
    other = client.views_publish(user_id="U2", view=home)
    assert first["view"]["id"] == again["view"]["id"] != other["view"]["id"]
    assert first["view"]["type"] == "home" and first["view"]["blocks"] == home["blocks"]
    assert fake.calls("views.publish")[0].params["view"] == home


def test_users_and_conversations(fake: FakeSlack) -> None:
    fake.add_user("U9", email="nine@example.com", real_name="Nine", tz="Asia/Tokyo", tz_offset=32400)
    client = _client(fake)
    assert client.users_info(user="U9")["user"]["tz"] == "Asia/Tokyo"
    assert client.users_info(user="U5")["user"]["id"] == "U5"  # Unregistered users get a default.
    found = client.users_lookupByEmail(email="nine@example.com")
    assert found["user"]["id"] == "U9" and found["user"]["profile"]["email"] == "nine@example.com"
    with pytest.raises(SlackApiError) as err:
        client.users_lookupByEmail(email="nobody@example.com")
    assert err.value.response["error"] == "users_not_found"

    fake.add_channel("C5", name="labeling-cats")
    assert client.conversations_info(channel="C5")["channel"]["name"] == "labeling-cats"
    assert client.conversations_info(channel="G1")["channel"]["is_private"] is True
    dm = client.conversations_open(users="U9")["channel"]["id"]
    assert dm.startswith("D") and dm == client.conversations_open(users="U9")["channel"]["id"]


def test_constructor_config_and_client_helper(monkeypatch: pytest.MonkeyPatch) -> None:
    # A proxy in the environment would capture a plain WebClient's loopback calls; client() must not.
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    users = {"UB": {"email": "b@example.com", "real_name": "Bea"}}
    with FakeSlack(emails={"a@example.com": "UA"}, users=users) as fake:
        client = fake.client()
        assert client.users_lookupByEmail(email="a@example.com")["user"]["id"] == "UA"
        assert client.users_lookupByEmail(email="b@example.com")["user"]["real_name"] == "Bea"
        assert client.users_info(user="UB")["user"]["profile"]["email"] == "b@example.com"


def test_other_methods_answer_ok_and_custom_handlers(fake: FakeSlack) -> None:
    client = _client(fake)
    assert client.api_call("reactions.add", params={"name": "eyes"}).data == {"ok": True}
    fake.set_handler("usergroups.users.list", {"users": ["U1", "U2"]})
    fake.set_handler("team.info", lambda params: {"team": {"id": params.get("team", "T1")}})
    assert client.usergroups_users_list(usergroup="S1")["users"] == ["U1", "U2"]
    assert client.team_info(team="T9")["team"] == {"id": "T9"}


def test_usergroup_members_and_a_revoked_scope(fake: FakeSlack) -> None:
    client = _client(fake)
    assert client.usergroups_users_list(usergroup="S1")["users"] == []  # nobody set: no members
    fake.set_usergroup("S1", ["U1", "U2"])
    assert client.usergroups_users_list(usergroup="S1")["users"] == ["U1", "U2"]
    assert "usergroups:read" in client.auth_test().headers["x-oauth-scopes"]
    fake.revoke_scope("usergroups:read")
    with pytest.raises(SlackApiError) as err:
        client.usergroups_users_list(usergroup="S1")
    assert err.value.response["error"] == "missing_scope"
    assert err.value.response["needed"] == "usergroups:read"
    assert "usergroups:read" not in err.value.response["provided"].split(",")
    assert "usergroups:read" not in client.auth_test().headers["x-oauth-scopes"]
    assert client.chat_postMessage(channel="C1", text="still fine")["ok"]  # other methods unaffected
    fake.reset()  # scopes are workspace configuration, like users: reset keeps them
    with pytest.raises(SlackApiError):
        client.usergroups_users_list(usergroup="S1")


def test_files_upload_v2(fake: FakeSlack) -> None:
    resp = _client(fake).files_upload_v2(
        channel="C1",
        content="label,count\ncat,3\n",
        filename="report.csv",
        title="Report",
        initial_comment="fyi",
    )
    assert resp["ok"] is True and resp["file"]["name"] == "report.csv" and resp["file"]["title"] == "Report"
    [get_url] = fake.calls("files.getUploadURLExternal")
    assert get_url.params["filename"] == "report.csv" and get_url.params["length"] == "18"
    [upload] = fake.uploads()
    assert upload.name == resp["file"]["id"] and upload.body == b"label,count\ncat,3\n"
    [complete] = fake.calls("files.completeUploadExternal")
    assert complete.params["channel_id"] == "C1" and complete.params["initial_comment"] == "fyi"
    assert complete.param_json("files")[0]["id"] == upload.name


def test_upload_url_failure_surfaces_as_http_error(fake: FakeSlack) -> None:
    fake.fail_next("upload", status=500)
    # files_upload_v2 has a "non-200 -> SlackRequestError" branch, but urlopen raises first, so
    # callers actually get urllib's HTTPError.
    with pytest.raises(HTTPError):
        _client(fake).files_upload_v2(channel="C1", content="x", filename="a.txt")
    assert fake.calls("files.completeUploadExternal") == []


def test_multipart_files_are_parsed(fake: FakeSlack) -> None:
    _client(fake).api_call(
        "files.upload",
        files={"file": io.BytesIO(b"\x00\x01binary")},
        data={"filename": "a.bin", "channels": "C1"},
    )
    [call] = fake.calls("files.upload")
    assert call.params == {"filename": "a.bin", "channels": "C1"}
    assert call.files["file"].data == b"\x00\x01binary"
    assert call.files["file"].filename == "a.bin"


def test_unknown_path_is_404_and_recorded(fake: FakeSlack) -> None:
    status, _, body = post(f"{fake.base}/nope", "x=1", {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 404 and json.loads(body)["ok"] is False
    [req] = fake.requests()
    assert req.kind == "other" and req.method == "/nope" and fake.calls() == []


def test_listeners_see_each_call_before_it_is_answered(fake: FakeSlack) -> None:
    seen: list[tuple[str, str]] = []
    fake.on_call(lambda call: seen.append((call.kind, call.method)))
    client = _client(fake)
    client.chat_postMessage(channel="C1", text="a")
    # Listeners run before the answer goes out, so the client never outruns them.
    assert seen == [("api", "chat.postMessage")]
    post(fake.response_url("r1"), "{}", {"Content-Type": "application/json"})
    fake.reset()  # Listeners are wiring, like users: they survive a reset.
    client.auth_test()
    assert seen == [("api", "chat.postMessage"), ("response", "response"), ("api", "auth.test")]


def test_fake_slack_fixture_is_started(fake_slack: FakeSlack) -> None:  # noqa: F811 (the fixture)
    assert fake_slack.client().auth_test()["ok"] is True
    assert [c.method for c in fake_slack.calls()] == ["auth.test"]


def test_reset_forgets_calls_and_faults(fake: FakeSlack) -> None:
    client = _client(fake)
    client.auth_test()
    fake.fail_next("auth.test", status=200, error="account_inactive")
    fake.reset()
    assert fake.calls() == []
    assert client.auth_test()["ok"] is True


# --------------------------------------------------------------------------------------------------
# Waiting


def test_wait_for_returns_calls_made_from_another_thread(fake: FakeSlack) -> None:
    def later() -> None:
        time.sleep(0.05)
        _client(fake).chat_postMessage(channel="C1", text="late")

    worker = threading.Thread(target=later)
    worker.start()
    [call] = fake.wait_for("chat.postMessage", timeout=5)
    worker.join()
    assert call.params["text"] == "late"


def test_wait_for_timeout_says_what_was_received(fake: FakeSlack) -> None:
    _client(fake).auth_test()
    with pytest.raises(AssertionError, match=r"chat\.postMessage.*got 0.*auth\.test=200"):
        fake.wait_for("chat.postMessage", timeout=0.1)


# --------------------------------------------------------------------------------------------------
# Faults and retries


def test_429_is_retried_after_retry_after(fake: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> None:
    # The handler sleeps Retry-After + random(); pin the jitter so the test takes exactly ~1 s.
    monkeypatch.setattr(builtin_handlers.random, "random", lambda: 0.0)
    fake.fail_next("chat.postMessage", status=429, retry_after=1)
    client = _client(fake)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))

    resp = client.chat_postMessage(channel="C1", text="after the storm")

    assert resp["ok"] is True
    limited, delivered = fake.calls("chat.postMessage")
    assert (limited.status, limited.injected) == (429, True)
    assert (delivered.status, delivered.injected) == (200, False)
    assert delivered.time - limited.time >= 1.0
    assert [c.params["text"] for c in fake.wait_for("chat.postMessage")] == ["after the storm"]
    assert len(fake.wait_for("chat.postMessage", count=2, include_failed=True)) == 2


def test_429_without_retry_handler_raises(fake: FakeSlack) -> None:
    fake.fail_next("chat.postMessage", status=429, retry_after=7)
    with pytest.raises(SlackApiError) as err:
        _client(fake).chat_postMessage(channel="C1", text="x")
    assert err.value.response.status_code == 429
    assert err.value.response.headers["Retry-After"] == "7"
    assert err.value.response["error"] == "ratelimited"


@pytest.mark.parametrize("status", [500, 503])
def test_server_error_is_retried(fake: FakeSlack, status: int) -> None:
    fake.fail_next("views.open", status=status)
    client = _client(
        fake, retry_handlers=[ServerErrorRetryHandler(max_retry_count=1, interval_calculator=FAST)]
    )
    assert client.views_open(trigger_id="t", view={"type": "modal", "blocks": []})["ok"] is True
    assert [(c.status, c.injected) for c in fake.calls()] == [(status, True), (200, False)]


def test_dropped_connection_is_retried(fake: FakeSlack) -> None:
    fake.fail_next("chat.postMessage", drop=True)
    client = _client(
        fake, retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=1, interval_calculator=FAST)]
    )
    assert client.chat_postMessage(channel="C1", text="x")["ok"] is True
    dropped, delivered = fake.calls()
    assert dropped.status is None and dropped.injected and dropped.reply is None
    assert delivered.delivered


def test_faults_queue_in_order_and_count_down(fake: FakeSlack) -> None:
    fake.fail_next("chat.postMessage", status=200, error="not_in_channel", times=2)
    fake.fail_next("chat.postMessage", status=503)
    client = _client(fake, retry_handlers=[])
    errors = []
    for _ in range(4):
        try:
            client.chat_postMessage(channel="C1", text="x")
            errors.append("ok")
        except SlackApiError as err:
            errors.append(err.response["error"])
    assert errors == ["not_in_channel", "not_in_channel", "service_unavailable", "ok"]
    assert fake.calls("auth.test") == []  # Faults only touch the method they name.


def test_delay_slows_one_method_and_is_bounded(fake: FakeSlack) -> None:
    fake.delay("users.info", 0.2)
    client = _client(fake)
    started = time.monotonic()
    client.users_info(user="U1")
    assert time.monotonic() - started >= 0.2
    fake.delay("users.info", 0)
    started = time.monotonic()
    client.auth_test()
    assert time.monotonic() - started < 0.2
    with pytest.raises(ValueError):
        fake.delay("users.info", MAX_DELAY_SECONDS + 1)


# --------------------------------------------------------------------------------------------------
# response_url


def test_response_url_posts_are_recorded(fake: FakeSlack) -> None:
    url = fake.response_url("r1")
    status, _, body = post(
        url, json.dumps({"text": "done", "replace_original": True}), {"Content-Type": "application/json"}
    )
    assert (status, body) == (200, "ok")
    post(fake.response_url("r2"), json.dumps({"text": "other"}), {"Content-Type": "application/json"})
    [r1] = fake.wait_for_response("r1")
    assert r1.params == {"text": "done", "replace_original": True}
    assert [r.name for r in fake.responses()] == ["r1", "r2"]
    assert fake.calls() == []  # response_url traffic is kept apart from Web API calls.


def test_response_url_fault(fake: FakeSlack) -> None:
    fake.fail_next("response", status=404, error="expired_url")
    status, _, body = post(fake.response_url(), "{}", {"Content-Type": "application/json"})
    assert (status, body) == (404, "expired_url")
    with pytest.raises(AssertionError):
        fake.wait_for_response(timeout=0.05)
    assert len(fake.wait_for_response(include_failed=True)) == 1


# --------------------------------------------------------------------------------------------------
# Signing and body builders


def test_sign_verifies_with_slack_sdk_and_tampering_fails() -> None:
    body = slash_command_body("/guide", "sarcasm")
    headers = sign(SECRET, body)
    verifier = SignatureVerifier(SECRET)
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert verifier.is_valid_request(body, headers)
    assert not verifier.is_valid_request(body.replace("sarcasm", "sarcasn"), headers)
    assert not SignatureVerifier("other-secret").is_valid_request(body, headers)
    stale = sign(SECRET, body, timestamp=int(time.time()) - 301)
    assert not verifier.is_valid_request(body, stale)
    assert sign(SECRET, event_body({"type": "app_mention"}))["Content-Type"] == "application/json"


def test_slash_command_text_round_trips() -> None:
    chunk = "a&b=c+d%20e \"q\" 'x' https://ex.com/?a=1&b=2#f 🐈‍⬛ ✓\r\nnew line\t"
    text = (chunk * (2000 // len(chunk) + 1))[:2000]
    assert len(text) == 2000
    body = slash_command_body("/guide", text, response_url="http://127.0.0.1:1/response/r1")
    fields = parse_qs(body, keep_blank_values=True, strict_parsing=True)
    assert fields["text"] == [text]
    assert fields["command"] == ["/guide"]
    assert fields["response_url"] == ["http://127.0.0.1:1/response/r1"]
    assert parse_qs(slash_command_body("/guide", ""), keep_blank_values=True)["text"] == [""]


def _payload(body: str) -> dict[str, Any]:
    return json.loads(parse_qs(body, strict_parsing=True)["payload"][0])


def test_interaction_and_event_bodies_have_slack_shapes() -> None:
    action = _payload(block_actions_body("tree_next", "node:7&x=1", "U2", "http://127.0.0.1:1/response/a"))
    assert action["type"] == "block_actions" and action["user"]["id"] == "U2"
    assert action["actions"][0] == action["actions"][0] | {"action_id": "tree_next", "value": "node:7&x=1"}
    assert (
        action["container"]["type"] == "message"
        and action["channel"]["id"] == action["container"]["channel_id"]
    )
    assert action["response_url"] == "http://127.0.0.1:1/response/a"

    in_modal = _payload(
        block_actions_body("pick", None, response_url=None, view={"id": "V9", "type": "modal"})
    )
    assert in_modal["container"] == {"type": "view", "view_id": "V9"}
    assert "response_url" not in in_modal and "channel" not in in_modal

    values = {"reason_b": {"reason_a": {"type": "plain_text_input", "value": "bbox too loose"}}}
    submit = _payload(view_submission_body("flag", values, '{"item": "img-42"}', "U3"))
    assert submit["type"] == "view_submission" and submit["view"]["callback_id"] == "flag"
    assert (
        submit["view"]["state"]["values"] == values
        and submit["view"]["private_metadata"] == '{"item": "img-42"}'
    )

    assert _payload(shortcut_body("open_guidelines"))["type"] == "shortcut"
    assert (
        _payload(shortcut_body("flag_message", message={"ts": "1.2", "text": "x"}))["type"]
        == "message_action"
    )

    envelope = json.loads(event_body({"type": "app_mention", "text": "<@UBOT> hi"}, "Ev9", team_id="T9"))
    assert (envelope["type"], envelope["event_id"], envelope["team_id"]) == ("event_callback", "Ev9", "T9")
    assert envelope["authorizations"][0]["user_id"] == "UBOT"


def test_post_refuses_non_loopback_urls() -> None:
    with pytest.raises(ValueError):
        post("https://hooks.slack.com/commands/x", "{}", {})


# --------------------------------------------------------------------------------------------------
# End to end: signed requests into a bolt App whose WebClient talks to the fake


class _BoltServer:
    """A loopback HTTP front for ``app.dispatch`` that also keeps the inbound headers."""

    def __init__(self, app: App) -> None:
        self.seen_headers: list[dict[str, str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                headers = {k.lower(): v for k, v in self.headers.items()}
                outer.seen_headers.append(headers)
                resp = app.dispatch(BoltRequest(body=body, headers=headers))
                data = resp.body.encode()
                self.send_response(resp.status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/slack/events"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> _BoltServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def test_end_to_end_with_bolt(fake: FakeSlack) -> None:
    app = App(client=_client(fake), signing_secret=SECRET, process_before_response=True)

    @app.command("/guide")
    def guide(ack: Any, respond: Any, command: dict[str, Any], client: WebClient) -> None:
        ack(f"looking up {command['text']}")
        respond(text=f"guideline for {command['text']}")
        client.chat_postMessage(channel=command["channel_id"], text="someone asked")

    @app.event("app_mention")
    def mention(event: dict[str, Any], say: Any) -> None:
        say("hi")

    with _BoltServer(app) as front:
        slack = SlackHttpClient(front.url, SECRET)
        status, _, body = slack.command("/guide", "a&b=c", response_url=fake.response_url("cmd"))
        assert (status, body) == (200, "looking up a&b=c")
        assert fake.wait_for_response("cmd")[0].params["text"] == "guideline for a&b=c"
        assert fake.wait_for("chat.postMessage")[0].params["channel"] == "C111"

        status, _, _ = slack.event(
            {"type": "app_mention", "text": "<@UBOT> hi", "channel": "C2"}, retry_num=1
        )
        assert status == 200
        assert front.seen_headers[-1]["x-slack-retry-num"] == "1"
        assert front.seen_headers[-1]["x-slack-retry-reason"] == "http_timeout"
        assert fake.wait_for("chat.postMessage", count=2)[-1].params["channel"] == "C2"

        status, _, _ = slack.send(slash_command_body("/guide", "x"), timestamp=int(time.time()) - 301)
        assert status == 401
    assert len(fake.calls("auth.test")) == 1


def test_a_post_to_a_user_id_answers_the_dm_channel(fake: FakeSlack) -> None:
    client = fake.client()
    posted = client.chat_postMessage(channel="U0LEAD1", text="hi")
    opened = client.conversations_open(users="U0LEAD1")
    assert posted["channel"] == opened["channel"]["id"] and posted["channel"].startswith("D")
    assert client.chat_postMessage(channel="C1", text="hi")["channel"] == "C1"
