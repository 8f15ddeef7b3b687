"""The README documents every CLI command and every slash command of the Slack manifest."""

from __future__ import annotations

import re
from pathlib import Path

import click

from bot.cli import cli

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
COMMANDS = (ROOT / "docs" / "commands.md").read_text(encoding="utf-8")
SLACK = (ROOT / "docs" / "slack.md").read_text(encoding="utf-8")


def _command_paths(group: click.Group, prefix: str) -> list[str]:
    paths = []
    for name, cmd in group.commands.items():
        path = f"{prefix} {name}"
        if isinstance(cmd, click.Group):
            paths.extend(_command_paths(cmd, path))
        else:
            paths.append(path)
    return paths


def test_every_cli_command_is_named_in_the_readme_and_documented_in_docs_commands() -> None:
    paths = _command_paths(cli, "annobot")
    missing = [p for p in paths if f"`{p}`" not in README]
    assert not missing, f"README lacks: {missing}"
    undocumented = [p for p in paths if f"| `{p}" not in COMMANDS]
    assert not undocumented, f"docs/commands.md has no row for: {undocumented}"


def test_every_cli_command_has_an_example_in_its_help() -> None:
    def walk(group: click.Group) -> list[click.Command]:
        out: list[click.Command] = []
        for cmd in group.commands.values():
            out.extend(walk(cmd) if isinstance(cmd, click.Group) else [cmd])
        return out

    lacking = [c.name for c in walk(cli) if "Example:" not in (c.help or "")]
    assert not lacking, lacking


def test_every_slash_command_is_documented() -> None:
    manifest = ROOT / "slack" / "manifest.yml"
    commands = re.findall(r"command:\s*['\"]?(/[\w-]+)", manifest.read_text(encoding="utf-8"))
    assert commands, "manifest declares no slash command"
    missing = [c for c in commands if f"`{c}" not in README]
    assert not missing, f"README lacks: {missing}"
    undocumented = [c for c in commands if f"`{c} " not in SLACK]
    assert not undocumented, f"docs/slack.md lacks: {undocumented}"


def test_every_relative_link_of_the_readme_and_docs_leads_to_a_file() -> None:
    broken = []
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        # Examples in code (fenced blocks, inline code) are not links of the page.
        prose = re.sub(r"```.*?```|`[^`\n]*`", "", page.read_text(encoding="utf-8"), flags=re.S)
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", prose):
            if "://" not in target and not (page.parent / target).exists():
                broken.append(f"{page.relative_to(ROOT)}: {target}")
    assert not broken, broken
