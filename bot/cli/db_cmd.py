"""`annobot db`: schema migrations."""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli.state import CliState
from bot.store.db import current_revision, head_revision, make_engine, upgrade_to_head


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


@db.command("rebuild-aggregates")
@click.option("--project", help="Only this project (default: every project).")
@click.pass_obj
def rebuild_aggregates(state: CliState, project: str | None) -> None:
    """Recompute the hourly aggregates the digest reads before its window, from the stored rows.

    Every writer keeps them up to date; this is for a repair or a check. One transaction.
    Example: annobot db rebuild-aggregates --project demo
    """
    from bot.store.aggregates import rebuild_all
    from bot.store.db import session_scope
    from bot.store.projects import get_project

    engine = state.engine()
    with session_scope(engine) as session:
        if project is not None:
            get_project(session, project)  # an unknown project is an input error naming it
        done = rebuild_all(session.connection(), project)
    for name, (hours, pairs) in done.items():
        click.echo(f"{name}: {hours} annotator-hours, {pairs} label-pair-hours")


@db.command("revision")
@click.option("-m", "--message", required=True, help="What the migration does; also names the file.")
@click.option(
    "--empty",
    is_flag=True,
    help="Write the revision even when the models match the database (to fill in by hand).",
)
@click.option(
    "--versions-dir",
    type=click.Path(file_okay=False, path_type=Path),
    hidden=True,
    help="Write the new revision here instead of the package (tests).",
)
@click.pass_obj
def revision(state: CliState, message: str, empty: bool, versions_dir: Path | None) -> None:
    """Autogenerate the next numbered migration (NNNN_<slug>.py) from the model changes.

    Compares the models with the configured database, which must be at head (run `annobot db
    upgrade` first; SQLite is not migrated by this command). With no model change nothing is
    written unless --empty. Review the file: autogenerate misses renames and hand-made objects.

    Example: annobot db revision -m "projects: add timezone"
    """
    # Deferred: autogenerate loads all of Alembic, which no other command needs.
    from bot.store.migrate import format_revision, write_revision

    # Not state.engine(): that migrates SQLite on first use, which would hide a database behind head.
    engine = make_engine(state.config.database_url, upgrade=False)
    try:
        new = write_revision(engine, message, versions_dir=versions_dir, empty=empty)
    finally:
        engine.dispose()
    if new.path is None:
        click.echo(
            f"no model changes: the database at {new.down_revision} matches the models; nothing written"
        )
        return
    formatted = format_revision(new.path, prune_imports=bool(new.changes))
    click.echo(f"wrote {new.path} (revision {new.revision}, revises {new.down_revision})")
    for change in new.changes or ["no changes detected: an empty revision to fill in by hand"]:
        click.echo(f"  {change}")
    if not formatted:
        click.echo("ruff is not installed: format the file before committing")
