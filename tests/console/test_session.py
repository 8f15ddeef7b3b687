"""The console session against a toy Bolt app and against the real `create_app`, in process."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from rich.console import Console
from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.config import Config
from bot.console.repl import Repl, run
from bot.console.server import ConsoleSlack
from bot.console.session import CONSOLE_BOT_TOKEN, ConsoleSession, build_app
from bot.slack.blocks.mrkdwn import plain_text
from bot.slack.guide.builder import (
    GUIDE_SHOW_SECTION,
    parse_section_ref,
    search_results_blocks,
    section_blocks,
)
from guidelines.model import SearchHit
from tests.conftest import EXAMPLES
from tests.support.guidelines import run_cli

WAIT = 10.0


@pytest.fixture
def slack() -> Iterator[ConsoleSlack]:
    with ConsoleSlack() as server:
        yield server


def _recording_repl(session: ConsoleSession) -> tuple[Repl, Console]:
    console = Console(file=io.StringIO(), width=120, record=True, color_system=None)
    return Repl(session, console), console


def _toy_app(slack: ConsoleSlack, secret: str) -> App:
    """A small real Bolt app whose `/guide` answers through respond(), like the real listeners."""
    app = App(
        client=WebClient(base_url=slack.url, token=CONSOLE_BOT_TOKEN),
        signing_secret=secret,
        token_verification_enabled=False,
    )
    hit = SearchHit("toy", "Toy Guide", "1.0.0", "1.0.0", "a-b", "A & B", ("A & B",), "snippet", 1.0)

    @app.command("/guide")
    def guide(ack: Ack, respond: Respond, command: dict[str, Any]) -> None:
        ack()
        # Slack (and the console) send typed text escaped; the real listener reads it with plain_text.
        respond(blocks=search_results_blocks(plain_text(command["text"]), [hit], pinned=None, total=1))

    @app.action(GUIDE_SHOW_SECTION)
    def show(ack: Ack, respond: Respond, body: dict[str, Any]) -> None:
        ack()
        slug, version, anchor = parse_section_ref(body["actions"][0]["value"])
        respond(
            blocks=section_blocks(
                "Toy Guide", slug, version, version, ("A & B",), anchor, "Full *text* here."
            )
        )

    return app


def test_toy_app_command_then_click(slack: ConsoleSlack) -> None:
    secret = ConsoleSession.new_secret()
    session = ConsoleSession(_toy_app(slack, secret), slack, secret, wait=WAIT)
    repl, console = _recording_repl(session)
    assert repl.handle("/guide tom & jerry <!channel>")
    out = console.export_text(clear=False)
    assert "Results for tom & jerry <!channel>" in out
    assert "[1] Show section  [2] Share in channel" in out
    assert repl.handle("1")
    out = console.export_text(clear=False)
    assert "Full text here." in out and "toy@1.0.0" in out


def test_forged_signature_is_rejected(slack: ConsoleSlack) -> None:
    session = ConsoleSession(_toy_app(slack, "right-secret"), slack, "wrong-secret", wait=WAIT)
    outcome = session.command("/guide", "x")
    assert outcome.status == 401 and not outcome.deliveries


def test_numbers_quit_and_unknown_input(slack: ConsoleSlack) -> None:
    secret = ConsoleSession.new_secret()
    repl, console = _recording_repl(ConsoleSession(_toy_app(slack, secret), slack, secret, wait=WAIT))
    lines = iter(["3", "hello", "help", "/nope", "quit", "/guide never sent"])
    run(repl, read=lambda _prompt: next(lines))
    out = console.export_text(clear=False)
    assert "No choice [3]" in out and "Type /guide QUERY" in out and "NUMBER" in out
    assert "no handler" in out
    assert next(lines) == "/guide never sent"  # quit stopped the loop


@pytest.fixture
def published(db_url: str, engine: Engine) -> Engine:
    result = run_cli(db_url, "guidelines", "publish", *sorted(str(p) for p in EXAMPLES.glob("*/v*")))
    assert result.exit_code == 0, result.output
    return engine


def test_real_app_guide_show_and_share(slack: ConsoleSlack, db_url: str, published: Engine) -> None:
    secret = ConsoleSession.new_secret()
    app = build_app(Config(database_url=db_url), slack, secret, published)
    repl, console = _recording_repl(ConsoleSession(app, slack, secret, wait=WAIT))
    repl.handle("/guide sarcasm")
    out = console.export_text(clear=False)
    assert out.index("Sarcasm and irony") < out.index("[1] Show section")
    assert "#sarcasm" in out and "v1.1.0" in out
    show, share = repl.choices[:2]
    assert share.action_id == "guide_share_section"
    assert parse_section_ref(show.value or "") == ("product-sentiment", "1.1.0", "sarcasm")
    repl.handle("2")
    posts = [c.params for c in slack.calls("chat.postMessage")]
    assert len(posts) == 1 and posts[0]["channel"] == "CCONSOLE"
    out = console.export_text(clear=False)
    assert "annobot posted in #console" in out and "Shared by" in out
    # A button number stays valid after an answer without buttons.
    repl.handle("1")
    assert console.export_text(clear=False).count("product-sentiment@1.1.0") == 2


def test_console_walks_a_tree_with_numbered_choices(
    slack: ConsoleSlack, db_url: str, published: Engine
) -> None:
    """Issue 11 item 6: the console walks a tree through the same listeners, choosing by number."""
    secret = ConsoleSession.new_secret()
    app = build_app(Config(database_url=db_url), slack, secret, published)
    repl, console = _recording_repl(ConsoleSession(app, slack, secret, wait=WAIT))
    repl.handle("/guide tree product-sentiment/sarcasm")
    assert "praise-shaped" in console.export_text(clear=False).lower()
    for _ in range(30):  # the first option each time, until the leaf's Share result shows
        if any(c.action_id == "tree_share" for c in repl.choices):
            break
        first = next(n for n, c in enumerate(repl.choices, start=1) if c.action_id == "tree_choose_0")
        repl.handle(str(first))
    out = console.export_text(clear=False)
    assert "Label:" in out and "Path taken" in out
    share = next(n for n, c in enumerate(repl.choices, start=1) if c.action_id == "tree_share")
    repl.handle(str(share))
    repl.handle(str(share))
    assert len(slack.calls("chat.postMessage")) == 1
