"""`annobot db`: schema migrations."""

from __future__ import annotations

import click

from bot.cli.state import CliState
from bot.store.db import current_revision, head_revision, upgrade_to_head


@click.group()
def db() -> None:
    """Database schema management."""


@db.command("upgrade")
@click.pass_obj
def upgrade(state: CliState) -> None:
    """Apply pending migrations.

    Example: ANNOBOT_DATABASE_URL=postgresql://localhost/annobot annobot db upgrade
    """
    engine = state.engine(check_schema=False)
    before = current_revision(engine)
    upgrade_to_head(engine)
    after = current_revision(engine)
    click.echo(f"database at {after}" + ("" if before == after else f" (was {before or 'empty'})"))


@db.command("status")
@click.pass_obj
def status(state: CliState) -> None:
    """Show the schema revision and whether migrations are pending.

    Example: annobot db status
    """
    engine = state.engine(check_schema=False)
    rev, head = current_revision(engine), head_revision()
    click.echo(f"url: {engine.url.render_as_string(hide_password=True)}")
    click.echo(
        f"revision: {rev or 'empty'} (head {head})" + ("" if rev == head else " - run 'annobot db upgrade'")
    )
