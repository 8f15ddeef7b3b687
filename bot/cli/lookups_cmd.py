"""`annobot lookups unanswered`: the questions `/guide` answers did not answer ("None of these")."""

from __future__ import annotations

from dataclasses import asdict

import click

from bot.cli import one_line
from bot.cli.output import emit_json, since_option
from bot.cli.state import CliState
from bot.store.feedback import unanswered

HEADER = ("last asked (UTC)", "times", "guideline", "version", "channel", "question")


@click.group()
def lookups() -> None:
    """Guideline lookups asked in Slack: the questions the guidelines did not answer."""


@lookups.command("unanswered")
@click.option("--since", help="Only questions marked since then, ISO 8601 (no offset: [reports] timezone).")
@click.option("--guideline", help="Only questions this guideline (slug) did not answer.")
@click.option("--json", "as_json", is_flag=True, help="Print the questions as JSON.")
@click.pass_obj
def unanswered_cmd(state: CliState, since: str | None, guideline: str | None, as_json: bool) -> None:
    """Questions marked "None of these" under a /guide answer, most asked first: when last asked,
    how many times, the guideline and version that should have answered, channel, question.

    Example: annobot lookups unanswered --since 2026-11-01 --guideline product-sentiment --json
    """
    start = since_option(since, state.config.reports.timezone)
    with state.session() as session:
        rows = unanswered(session, since=start, guideline=guideline)
    if as_json:
        emit_json(
            [
                {
                    **asdict(r),
                    "first_asked": r.first_asked.isoformat(timespec="seconds"),
                    "last_asked": r.last_asked.isoformat(timespec="seconds"),
                }
                for r in rows
            ]
        )
        return
    if not rows:
        click.echo("no unanswered questions")
        return
    click.echo("\t".join(HEADER))
    for r in rows:
        fields = (
            r.last_asked.isoformat(timespec="seconds"),
            str(r.times),
            r.guideline or "-",
            r.version or "-",
            r.channel or "-",
            r.question,
        )
        # Questions are typed in Slack: one line each, control characters shown as escapes.
        click.echo("\t".join(one_line(f) for f in fields))
