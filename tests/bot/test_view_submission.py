"""Modal submissions through `after_validation`, over real HTTP: each response_action, then the slow part."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.errors import InputError
from bot.server import BackgroundServer, make_wsgi_app, serve_in_thread
from bot.slack.app import create_app
from bot.slack.blocks import kit
from bot.slack.edge import GENERIC, FieldError, ViewReply, after_validation, explanation_view
from tests.bot.helpers import SECRET, TimedClient, bot_config, texts
from tests.support.fakeslack import FakeSlack

CALLBACK = "annobot_test_form"
UPDATED = kit.modal("Step two", kit.sections("Now the details."), submit="Send")
PUSHED = kit.modal("Are you sure?", kit.sections("This cannot be undone."), submit="Yes")


def _pick(body: dict[str, Any]) -> str:
    return str(body["view"]["state"]["values"]["choice"]["pick"]["value"])


def validate(body: dict[str, Any]) -> ViewReply:
    """Fast: looks at the submitted field only."""
    pick = _pick(body)
    if pick == "errors":
        return ViewReply.errors({"choice": "Pick one of close, update, push or clear."})
    if pick == "update":
        return ViewReply.update(UPDATED, values=pick)
    if pick == "push":
        return ViewReply.push(PUSHED, values=pick)
    if pick == "clear":
        return ViewReply.clear(values=pick)
    if pick == "field":
        raise FieldError("choice", "That is not a choice <!channel>.")
    if pick == "input":
        raise InputError("no guideline 'nope' <!here>")
    if pick == "boom":
        raise RuntimeError("a bug in validate")
    return ViewReply.close(values=pick)


@dataclass
class Form:
    """The running app with the test form's listener, and what its slow part saw."""

    fake: FakeSlack
    slack: TimedClient
    # The slow part waits for this, so it can only finish after the HTTP answer came back.
    release: threading.Event = field(default_factory=threading.Event)
    slow_ran: list[str] = field(default_factory=list)

    def submit(self, pick: str) -> tuple[int, dict[str, str], str]:
        """Submit the form with `pick` in its one field."""
        values = {"choice": {"pick": {"type": "plain_text_input", "value": pick}}}
        return self.slack.submit(CALLBACK, values)


@pytest.fixture
def form(engine: Engine, fake: FakeSlack) -> Iterator[Form]:
    """A real app (create_app) with a tiny view listener registered, served on loopback."""
    app = create_app(bot_config(fake.url), client=fake.client(), engine=engine)
    executor = ThreadPoolExecutor(2, thread_name_prefix="test-form")
    server: BackgroundServer | None = None
    try:
        server, port = serve_in_thread(make_wsgi_app(app, engine))
        state = Form(fake, TimedClient(f"http://127.0.0.1:{port}/slack/events", SECRET))

        def file_it(*, client: WebClient, reply: ViewReply, body: dict[str, Any], **_: Any) -> None:
            """Slow: runs after the ack, posts through the (fake) Web API."""
            assert state.release.wait(5), "the test never released the slow part"
            state.slow_ran.append(str(reply.values))
            client.chat_postMessage(channel="C111", text=f"filed {reply.values} for {body['user']['id']}")

        app.view(CALLBACK)(after_validation(executor, validate, file_it))
        yield state
    finally:
        if server is not None:
            server.stop()
        executor.shutdown(wait=True, cancel_futures=True)


def _json(body: str) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(body)
    return decoded


@pytest.mark.parametrize(
    ("pick", "expected"),
    [
        ("update", {"response_action": "update", "view": UPDATED}),
        ("push", {"response_action": "push", "view": PUSHED}),
        ("clear", {"response_action": "clear"}),
    ],
)
def test_update_push_clear_ack_with_their_view_then_the_slow_part_runs(
    form: Form, pick: str, expected: dict[str, Any]
) -> None:
    status, headers, body = form.submit(pick)
    assert status == 200 and headers["content-type"].startswith("application/json")
    assert _json(body) == expected
    assert form.slow_ran == []  # the ack left first: the slow part is still waiting
    form.release.set()
    [post] = form.fake.wait_for("chat.postMessage")
    assert post.params["text"] == f"filed {pick} for U111"
    assert form.slow_ran == [pick]


def test_close_acks_empty_then_the_slow_part_runs(form: Form) -> None:
    status, _, body = form.submit("close")
    # A plain ack: Slack closes the modal.
    assert (status, body) == (200, "")
    assert form.slow_ran == []
    form.release.set()
    [post] = form.fake.wait_for("chat.postMessage")
    assert post.params["text"] == "filed close for U111"


def test_errors_keep_the_modal_open_and_skip_the_slow_part(form: Form) -> None:
    form.release.set()
    status, _, body = form.submit("errors")
    assert status == 200
    assert _json(body) == {
        "response_action": "errors",
        "errors": {"choice": "Pick one of close, update, push or clear."},
    }
    # A later submission's slow part runs; the refused one's never did.
    form.submit("close")
    [post] = form.fake.wait_for("chat.postMessage")
    assert post.params["text"] == "filed close for U111"
    assert form.slow_ran == ["close"]


def test_a_field_error_raised_by_validate_is_shown_under_its_field(form: Form) -> None:
    form.release.set()
    status, _, body = form.submit("field")
    assert status == 200
    assert _json(body) == {
        "response_action": "errors",
        "errors": {"choice": "That is not a choice <!channel>."},
    }
    assert form.slow_ran == []


def test_an_input_error_raised_by_validate_is_explained_in_a_pushed_view(form: Form) -> None:
    form.release.set()
    status, _, body = form.submit("input")
    assert status == 200  # not a 500
    reply = _json(body)
    assert reply == {"response_action": "push", "view": explanation_view("no guideline 'nope' <!here>")}
    shown = texts(reply["view"])
    assert "no guideline 'nope'" in shown
    assert "<!here>" not in shown and "&lt;!here&gt;" in shown  # escaped, pings nobody
    assert reply["view"]["close"]["text"] == "Back"  # closing it returns to the form
    form.submit("close")
    form.fake.wait_for("chat.postMessage")
    assert form.slow_ran == ["close"]


def test_an_unexpected_error_in_validate_is_logged_and_explained_generically(
    form: Form, caplog: pytest.LogCaptureFixture
) -> None:
    form.release.set()
    with caplog.at_level(logging.INFO, logger="annobot.slack"):
        status, _, body = form.submit("boom")
    assert status == 200
    assert _json(body) == {"response_action": "push", "view": explanation_view(GENERIC)}
    [logged] = [r for r in caplog.records if r.exc_info and "a bug in validate" in str(r.exc_info[1])]
    assert logged.levelno == logging.ERROR
    assert form.slow_ran == []


def test_view_reply_refuses_inconsistent_replies() -> None:
    with pytest.raises(ValueError):
        ViewReply.errors({})
    with pytest.raises(ValueError):
        ViewReply("update")
    with pytest.raises(ValueError):
        ViewReply(None, view=UPDATED)


def test_field_error_survives_pickling() -> None:
    import pickle

    error = pickle.loads(pickle.dumps(FieldError("choice", "required")))
    assert (type(error), error.block_id, error.message) == (FieldError, "choice", "required")
