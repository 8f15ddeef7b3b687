"""Done-when: `annobot console` in a pseudo-terminal answers `/guide sarcasm` and follows "Show section"."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

from bot.store.db import make_engine
from tests.support.published import examples_published

pexpect = pytest.importorskip("pexpect")

BIN = Path(sys.executable).parent
PROMPT = "annobot> "
TIMEOUT = 60  # generous: a cold start imports bolt and SQLAlchemy, and CI machines are slow
# CSI/OSC escape sequences (colours, bracketed paste, hyperlinks) removed before asserting on text.
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[=>]")


def _text(raw: str) -> str:
    return _ANSI.sub("", raw).replace("\r", "")


@pytest.fixture
def console_env(tmp_path: Path) -> dict[str, str]:
    """An environment with the examples published to a temp SQLite file and a throwaway HOME."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ANNOBOT_"))}
    env.update(
        ANNOBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'console.db'}",
        HOME=str(tmp_path),  # readline history goes to tmp_path/.annobot_history
        TERM="xterm",
        COLUMNS="160",
        LINES="50",
    )
    # Published here rather than by an `annobot guidelines publish` child: a fresh process embeds every
    # chunk again (25-60 s of CPU), while this one has the vectors (tests/support/published.py).
    engine = make_engine(env["ANNOBOT_DATABASE_URL"])
    try:
        examples_published(engine)
    finally:
        engine.dispose()
    return env


def test_console_answers_guide_and_follows_show_section(console_env: dict[str, str], tmp_path: Path) -> None:
    child = pexpect.spawn(
        str(BIN / "annobot"),
        ["console", "--wait", "20"],
        env=console_env,
        encoding="utf-8",
        timeout=TIMEOUT,
        dimensions=(50, 160),
    )
    try:
        child.expect_exact(PROMPT)
        assert "product-sentiment v1.1.0" in _text(child.before)

        child.sendline("/guide sarcasm")
        child.expect_exact(PROMPT)
        answer = _text(child.before)
        first = answer.index("Sarcasm and irony")
        # The sarcasm section is the first result, with its guideline, version and anchor.
        assert first < answer.index("#sarcasm") < answer.index("Show section")
        assert "Product Review Sentiment v1.1.0" in answer[:first]
        number = re.search(r"\[(\d+)\] Show section", answer)
        assert number is not None and number.group(1) == "1"

        child.sendline(number.group(1))
        child.expect_exact(PROMPT)
        section = " ".join(_text(child.before).split())
        assert "product-sentiment@1.1.0 #sarcasm" in section
        assert "Sarcasm is praise-shaped wording used to express criticism" in section
        # The end of the section too: the full text, not a snippet.
        assert "follow Non-English and code-switched text and flag the item." in section

        child.sendline("quit")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0
    assert "/guide sarcasm" in (tmp_path / ".annobot_history").read_text(encoding="utf-8")
