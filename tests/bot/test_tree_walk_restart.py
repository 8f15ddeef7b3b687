"""Issue 11: a walk survives the bot process: `annobot run` is killed mid-walk, started again, and the walk finishes
on the version it started on (its state is in the buttons and the store, never only in memory)."""

from __future__ import annotations

import os
import signal
import subprocess
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

from bot.slack.blocks.section_link import GUIDE_SHOW_SECTION, parse_section_ref
from bot.slack.blocks.tree_link import TREE_CHOOSE, parse_walk_ref
from bot.store.db import session_scope
from bot.store.models.tree_walks import TreeStep
from guidelines.parse import load_guideline
from guidelines.trees.model import Leaf, Question
from tests.bot.helpers import (
    EXAMPLES,
    LOOPBACK,
    buttons,
    children,
    free_port,
    publish_folder,
    start_annobot_run,
    texts,
    wait_gone,
)
from tests.support.fakeslack import FakeSlack
from tests.support.slackreq import block_actions_body, sign, slash_command_body

SECRET = "s3cret"


@contextmanager
def _annobot_run(env: dict[str, str], port: int) -> Iterator[subprocess.Popen[bytes]]:
    """`annobot run --port PORT`, up and answering /healthz; SIGKILLed at the end with its workers."""
    proc = start_annobot_run(env, port)
    workers = children(proc.pid)
    try:
        yield proc
    finally:
        # Killed, not stopped: nothing of the walk may depend on a graceful shutdown.
        proc.kill()
        proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()
        for pid in workers:  # the answer workers it had spawned, by id
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        wait_gone(workers)


def _post(port: int, body: str) -> None:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/slack/events", data=body.encode(), headers=sign(SECRET, body), method="POST"
    )
    with LOOPBACK.open(request, timeout=5) as resp:
        assert resp.status == 200


def _options(blocks: list[dict[str, Any]]) -> list[str]:
    return [e["value"] for b in blocks if b.get("type") == "actions" for e in b["elements"]
            if e["action_id"].startswith(TREE_CHOOSE)]  # fmt: skip


def _click(
    port: int, fake: FakeSlack, blocks: list[dict[str, Any]], index: int, name: str
) -> list[dict[str, Any]]:
    value = _options(blocks)[index]
    _post(port, block_actions_body(f"{TREE_CHOOSE}{index}", value, response_url=fake.response_url(name)))
    [call] = fake.wait_for_response(name, timeout=15)
    assert call.params["replace_original"] is True
    return call.param_json("blocks")


def _steps(engine: Engine) -> int:
    with session_scope(engine) as s:
        return s.scalar(select(func.count()).select_from(TreeStep)) or 0


def test_a_walk_finishes_on_its_version_after_the_process_is_killed_and_restarted(
    engine: Engine, db_url: str, fake: FakeSlack, tmp_path: Path
) -> None:
    tree = next(
        t for t in load_guideline(EXAMPLES / "product-sentiment" / "v1.0.0").trees if t.id == "sarcasm"
    )
    publish_folder(engine, EXAMPLES / "product-sentiment" / "v1.0.0")
    config = tmp_path / "annobot.toml"
    config.write_text("[slack]\nanswer_workers = 1\n")  # jobs run in a worker process, as in production
    env = {
        **os.environ,
        "ANNOBOT_DATABASE_URL": db_url,
        "ANNOBOT_CONFIG": str(config),
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake.url,
    }
    env.pop("SLACK_APP_TOKEN", None)
    port = free_port()
    with _annobot_run(env, port):
        body = slash_command_body(
            "/guide", "tree product-sentiment/sarcasm", response_url=fake.response_url("start")
        )
        _post(port, body)
        [call] = fake.wait_for_response("start", timeout=15)
        blocks = _click(port, fake, call.param_json("blocks"), 0, "c1")
    # Meanwhile 1.1.0 is published, and the bot comes back, killed and started again, on another port.
    publish_folder(engine, EXAMPLES / "product-sentiment" / "v1.1.0")
    port = free_port()
    choices = [0]
    with _annobot_run(env, port):
        node = tree.follow(tuple(choices))[-1]
        n = 2
        while isinstance(node, Question):
            assert {parse_walk_ref(v).version for v in _options(blocks)} == {"1.0.0"}
            blocks = _click(port, fake, blocks, 0, f"c{n}")
            choices.append(0)
            node = tree.follow(tuple(choices))[-1]
            n += 1
        assert isinstance(node, Leaf)
        shown = texts(blocks)
        assert f"Label: *{node.label}*" in shown and "`v1.0.0`" in shown
        assert "A newer version, `v1.1.0`, is current" in shown
        assert parse_section_ref(buttons(blocks, GUIDE_SHOW_SECTION)[0])[1] == "1.0.0"
    assert _steps(engine) == len(choices) + 1
