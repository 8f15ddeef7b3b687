"""Writing small guideline folders and running the CLI in tests."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from bot.cli import cli

MINI_TOML = """slug = "mini"
title = "Mini sentiment"
version = "{version}"
labels = ["Positive", "Negative", "Neutral"]
scale = "nominal"
"""

MINI_RULES = """# Overview

Label the overall sentiment of the review. See [Sarcasm](#sarcasm).

## Sarcasm {#sarcasm}

Sarcastic praise such as "great, it broke in a day" is **Negative**.

## Emoji

An emoji alone decides nothing; read the words.
"""


def write_guideline(root: Path, name: str, files: dict[str, str | bytes], toml: str | None = None) -> Path:
    """Create a guideline folder with the given files (bytes are written raw)."""
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    if toml is not None:
        (folder / "guideline.toml").write_text(toml, encoding="utf-8")
    for fname, content in files.items():
        path = folder / fname
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


def mini(root: Path, version: str = "1.0.0", rules: str = MINI_RULES, name: str | None = None) -> Path:
    """The small valid guideline most tests start from."""
    return write_guideline(
        root, name or f"mini-{version}", {"rules.md": rules}, MINI_TOML.format(version=version)
    )


def run_cli(db_url: str, *args: str) -> Result:
    """Invoke `annobot ARGS` in-process against db_url."""
    runner = CliRunner()
    return runner.invoke(
        cli, list(args), env={"ANNOBOT_DATABASE_URL": db_url, "ANNOBOT_CONFIG": None}, catch_exceptions=False
    )
