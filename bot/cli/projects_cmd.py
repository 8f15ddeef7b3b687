"""`annobot projects` and `annobot annotators`: labeling projects and annotator identities."""

from __future__ import annotations

import click

from bot.cli.output import emit_json
from bot.cli.state import CliState
from bot.errors import InputError
from bot.store.projects import (
    add_project,
    list_annotators,
    list_projects,
    map_annotator,
    sync_config_projects,
)


@click.group()
def projects() -> None:
    """Labeling projects: which guideline their labels follow, where they report."""


@projects.command("add")
@click.argument("name")
@click.option("--guideline", required=True, help="Slug of the published guideline the labels come from.")
@click.option(
    "--channel", "channels", multiple=True, help="Slack channel the project reports to (repeatable)."
)
@click.pass_obj
def projects_add(state: CliState, name: str, guideline: str, channels: tuple[str, ...]) -> None:
    """Add a project.

    Example: annobot projects add reviews-q4 --guideline product-sentiment --channel '#labeling-quality'
    """
    with state.session() as session:
        row = add_project(session, name, guideline, list(channels))
        click.echo(
            f"project {row.name}: guideline {row.guideline}, channels {', '.join(row.channels) or '-'}"
        )


@projects.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the projects as JSON.")
@click.pass_obj
def projects_list(state: CliState, as_json: bool) -> None:
    """List projects (those in the config's [[projects]] included).

    Example: annobot projects list --json
    """
    with state.session() as session:
        sync_config_projects(session, state.config.projects)
        rows = [
            {
                "name": p.name,
                "guideline": p.guideline,
                "channels": list(p.channels),
                "created_at": p.created_at,
            }
            for p in list_projects(session)
        ]
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        click.echo(f"{r['name']}\t{r['guideline']}\t{', '.join(r['channels']) or '-'}")


@click.group()
def annotators() -> None:
    """Annotator identities: tool ids mapped to Slack users and cohort attributes."""


def _slack_user(value: str) -> str:
    user = value.lstrip("@")
    if not user:
        raise InputError(f"not a Slack user: {value!r} (use @name or a U… id)")
    return user


@annotators.command("map")
@click.argument("tool_id")
@click.argument("slack_user")
@click.option("--email")
@click.option("--team")
@click.option("--shift")
@click.option("--vendor")
@click.option("--locale")
@click.option("--tool", help="Name of the labeling tool (informational), e.g. label-studio.")
@click.pass_obj
def annotators_map(state: CliState, tool_id: str, slack_user: str, **attrs: str | None) -> None:
    """Map a labeling-tool annotator id to a Slack user, with optional cohort attributes.

    Example: annobot annotators map 17 U024BE7LH --team north --shift night --vendor acme --locale de-DE
    """
    with state.session() as session:
        row = map_annotator(session, tool_id, _slack_user(slack_user), **attrs)
        click.echo(f"annotator {row.tool_id} -> {row.slack_user_id}")


@annotators.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the annotators as JSON.")
@click.pass_obj
def annotators_list(state: CliState, as_json: bool) -> None:
    """List annotator identities.

    Example: annobot annotators list --json
    """
    keys = ("tool_id", "tool", "slack_user_id", "email", "team", "shift", "vendor", "locale")
    with state.session() as session:
        rows = [{k: getattr(a, k) for k in keys} for a in list_annotators(session)]
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        click.echo("\t".join(str(r[k] or "-") for k in keys))
