"""Turning domain results into terminal text or JSON for the CLI."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import click

from bot.errors import InputError
from guidelines.model import HL_END, HL_START, GuidelineDiff, SearchHit

if TYPE_CHECKING:
    from rich.console import Console

# rich is imported only by the functions that print for a person: JSON output and plain lines
# (`guidelines list`) do not load it.


def since_option(value: str | None, tz: str) -> datetime | None:
    """--since as an aware moment: ISO 8601; without an offset it is in `tz` ([reports] timezone)."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InputError(f"--since: not an ISO 8601 date or time: {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(tz))


def emit_json(data: Any) -> None:
    """Print JSON (UTF-8, stable key order) to stdout."""
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def console() -> Console:
    """A rich console on stdout (plain when not a terminal)."""
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


def snippet_markdown(snippet: str) -> str:
    """Highlight markers as Markdown bold."""
    return snippet.replace(HL_START, "**").replace(HL_END, "**")


def snippet_rich(snippet: str) -> str:
    """Highlight markers as rich bold, the rest escaped."""
    from rich.markup import escape

    return escape(snippet).replace(HL_START, "[bold yellow]").replace(HL_END, "[/bold yellow]")


def hit_json(hit: SearchHit) -> dict[str, Any]:
    """The JSON contract of one search result."""
    return {
        "guideline": hit.guideline,
        "guideline_title": hit.guideline_title,
        "version": hit.version,
        "current_version": hit.current_version,
        "anchor": hit.anchor,
        "title": hit.title,
        "path": list(hit.path),
        "aliases": list(hit.aliases),
        "snippet": snippet_markdown(hit.snippet),
        "score": hit.score,
    }


def print_hits(hits: list[SearchHit], total: int) -> None:
    """Numbered results for a person."""
    from rich.markup import escape

    out = console()
    if not hits:
        out.print("no matching section")
        return
    for i, hit in enumerate(hits, 1):
        stale = "" if hit.is_current else f" [red](current is {escape(hit.current_version)})[/red]"
        out.print(
            f"[bold]{i}. {escape(' › '.join(hit.path))}[/bold]  "
            f"[cyan]{escape(hit.guideline)}@{escape(hit.version)}#{escape(hit.anchor)}[/cyan]{stale}  "
            f"[dim]score {hit.score:.3f}[/dim]"
        )
        if hit.aliases:
            out.print(f"   [dim]also called: {escape(', '.join(hit.aliases))}[/dim]")
        out.print(f"   {snippet_rich(hit.snippet)}")
    if total > len(hits):
        out.print(f"[dim]{total - len(hits)} more matching sections[/dim]")


def diff_json(diff: GuidelineDiff) -> dict[str, Any]:
    """The JSON form of a guideline diff."""
    data = asdict(diff)
    data["summary"] = {k: len(diff.anchors(k)) for k in ("added", "removed", "changed", "renamed")}
    return data


def print_diff(diff: GuidelineDiff) -> None:
    """A readable diff: summary, then each entry with its alias changes and unified diff."""
    from rich.markup import escape

    from guidelines.diff import alias_change_line

    out = console()
    summary = ", ".join(f"{len(diff.anchors(k))} {k}" for k in ("added", "removed", "changed", "renamed"))
    out.print(
        f"[bold]{escape(diff.guideline)} {escape(diff.old_version)} → {escape(diff.new_version)}[/bold]: {summary}"
    )
    for line in diff.meta_changes:
        out.print(f"  metadata: {escape(line)}")
    for e in diff.entries:
        title = e.new_title if e.new_title is not None else e.old_title
        if e.kind == "renamed":
            title = f"{e.old_title} → {e.new_title}"
        out.print(f"\n[bold]{e.kind:8}[/bold] #{escape(e.anchor)}  {escape(title or '')}")
        if e.aliases_added or e.aliases_removed:
            out.print(f"[yellow]{escape(alias_change_line(e.aliases_added, e.aliases_removed))}[/yellow]")
        for line in e.unified_diff.splitlines():
            style = "green" if line.startswith("+") else "red" if line.startswith("-") else "dim"
            out.print(f"[{style}]{escape(line)}[/{style}]")
