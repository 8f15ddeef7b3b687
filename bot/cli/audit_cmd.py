"""`annobot audit`: the authorization audit trail (privileged actions and denials)."""

from __future__ import annotations

from dataclasses import asdict

import click

from bot.cli import one_line
from bot.cli.output import emit_json
from bot.cli.state import CliState
from bot.store.audit import DEFAULT_LIMIT, list_events


@click.group()
def audit() -> None:
    """Audit trail: who did or was refused what, on which project, when."""


@audit.command("list")
@click.option("--project", help="Only this project's events.")
@click.option("--user", "user_id", help="Only this Slack user's events (U… id).")
@click.option("--denied", is_flag=True, help="Only denials.")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=DEFAULT_LIMIT,
    show_default=True,
    help="At most this many events.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the events as JSON.")
@click.pass_obj
def audit_list(
    state: CliState, project: str | None, user_id: str | None, denied: bool, limit: int, as_json: bool
) -> None:
    """List audited decisions, newest first: time (UTC), user, action, project, outcome, roles, detail.

    Example: annobot audit list --project reviews-q4 --denied --json
    """
    with state.session() as session:
        events = list_events(
            session, project=project, user_id=user_id, allowed=False if denied else None, limit=limit
        )
    if as_json:
        emit_json([{**asdict(e), "at": e.at.isoformat()} for e in events])
        return
    for e in events:
        outcome = "allowed" if e.allowed else "denied"
        fields = (
            e.at.isoformat(timespec="seconds"),
            e.user_id,
            e.action,
            e.project,
            outcome,
            f"needs {e.role_needed}, was {e.role_had}",
            e.detail or "-",
        )
        # Ids and details come from Slack users: one line each, control characters shown as escapes.
        click.echo("\t".join(one_line(f) for f in fields))
