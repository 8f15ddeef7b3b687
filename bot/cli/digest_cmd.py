"""`annobot digest`: the quality digest of a project, in any format."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from bot.cli.state import CliState
from bot.errors import InputError
from bot.slack.digest.builder import render
from bot.store.digest_reads import digest_inputs
from reports.digest import build_digest

_WINDOW = re.compile(r"^(\d+)([dh])$")


def parse_window(
    since: str | None, window: str | None, all_: bool, now: datetime
) -> tuple[datetime | None, datetime | None]:
    """(start, end) of the digest window; (None, None) for all data."""
    given = [name for name, value in (("--since", since), ("--window", window), ("--all", all_)) if value]
    if len(given) > 1:
        raise InputError(f"{' and '.join(given)} exclude each other: give one")
    if all_:
        return None, None
    if since:
        try:
            start = datetime.fromisoformat(since)
        except ValueError:
            raise InputError(f"--since: not an ISO 8601 date or time: {since!r}") from None
        return (start if start.tzinfo else start.replace(tzinfo=UTC)), now
    m = _WINDOW.match(window or "7d")
    if not m:
        raise InputError(f"--window: expected a number of days or hours like 7d or 12h, got {window!r}")
    n = int(m.group(1))
    return now - (timedelta(days=n) if m.group(2) == "d" else timedelta(hours=n)), now


@click.command("digest")
@click.option("--project", required=True, help="Project name (see `annobot projects list`).")
@click.option("--since", help="Window start, ISO 8601 (end: now).")
@click.option("--window", help="Window length back from now, e.g. 7d or 24h (default 7d).")
@click.option("--all", "all_", is_flag=True, help="Use every annotation of the project.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "markdown", "html", "blocks"]),
    default="markdown",
    show_default=True,
)
@click.option("--out", type=click.Path(path_type=Path), help="Write to this file instead of stdout.")
@click.pass_obj
def digest(
    state: CliState,
    project: str,
    since: str | None,
    window: str | None,
    all_: bool,
    fmt: str,
    out: Path | None,
) -> None:
    """Compute the quality digest of a project: agreement, gold accuracy, drift, confusions.

    Example: annobot digest --project reviews-q4 --window 7d --format html --out digest.html
    """
    start, end = parse_window(since, window, all_, datetime.now(UTC))
    with state.session() as session:
        inputs = digest_inputs(session, project, start, end)
    if inputs.annotations.empty:
        raise InputError(f"project '{project}' has no annotations in the window; try --all")
    result = build_digest(
        inputs.annotations,
        inputs.gold,
        inputs.tasks,
        None if start is None else (start, end),
        project=project,
        previous=inputs.previous,
        baseline=inputs.baseline,
        release_dates=inputs.release_dates,
    )
    chart_dir = out.parent / (out.stem + "-charts") if out is not None and fmt == "markdown" else None
    text = render(result, fmt, chart_dir=chart_dir)  # type: ignore[arg-type]
    if out is None:
        click.echo(text)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        click.echo(f"wrote {out}")
