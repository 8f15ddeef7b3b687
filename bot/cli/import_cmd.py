"""`annobot import` and `annobot export`: annotation and gold files in and out of the store."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

from bot.cli.state import CliState
from bot.imports.export import EXPORT_FORMATS, export_annotations
from bot.imports.load import ImportSummary, import_annotations, import_gold
from bot.imports.readers import FORMATS

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group("import")
def import_group() -> None:
    """Import annotations or gold answers into a project."""


_DRY_RUN = click.option(
    "--dry-run",
    is_flag=True,
    help="Validate and count what would change (new, changed, unchanged); write nothing.",
)


def _summary(s: ImportSummary) -> str:
    if s.dry_run:
        return (
            f"dry run, nothing written: {s.project} ({s.format}): read {s.read}, would insert {s.inserted} new, "
            f"replace {s.replaced} changed, leave {s.unchanged} unchanged; skipped (cancelled) {s.cancelled}, "
            f"gold {s.gold}, items {s.items}"
        )
    return (
        f"{s.project} ({s.format}): read {s.read}, inserted {s.inserted}, replaced {s.replaced}, "
        f"unchanged {s.unchanged}, skipped (cancelled) {s.cancelled}, gold {s.gold}, items {s.items}; "
        f"{s.elapsed_s:.2f} s, {s.rows_per_s:,.0f} rows/s"
    )


@import_group.command("annotations")
@click.argument("file", type=_FILE)
@click.option("--project", required=True, help="Project name (see 'annobot projects list').")
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="Input format (default: detected).")
@_DRY_RUN
@click.pass_obj
def import_annotations_cmd(state: CliState, file: Path, project: str, fmt: str | None, dry_run: bool) -> None:
    """Import an annotation file (CSV, JSONL or Label Studio JSON export); all or nothing.

    Example: annobot import annotations export.json --project reviews-q4 --dry-run
    """
    engine = state.engine()
    if sys.stderr.isatty():
        with Progress(
            TextColumn("importing"), BarColumn(), TransferSpeedColumn(), TimeRemainingColumn(), transient=True
        ) as bar:
            job = bar.add_task("import", total=file.stat().st_size)
            summary = import_annotations(
                engine,
                file,
                project,
                fmt,
                config_projects=state.config.projects,
                progress=lambda done: bar.update(job, completed=done),
                dry_run=dry_run,
            )
    else:
        summary = import_annotations(
            engine, file, project, fmt, config_projects=state.config.projects, dry_run=dry_run
        )
    click.echo(_summary(summary))


@import_group.command("gold")
@click.argument("file", type=_FILE)
@click.option("--project", required=True, help="Project name.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="Input format (default: detected).")
@_DRY_RUN
@click.pass_obj
def import_gold_cmd(state: CliState, file: Path, project: str, fmt: str | None, dry_run: bool) -> None:
    """Import gold answers (columns item_id, label, optional task; or Label Studio ground truth).

    A changed answer is kept in gold history. Example: annobot import gold gold.csv --project reviews-q4
    """
    summary = import_gold(
        state.engine(), file, project, fmt, config_projects=state.config.projects, dry_run=dry_run
    )
    click.echo(_summary(summary))


@click.group("export")
def export_group() -> None:
    """Export stored data."""


@export_group.command("annotations")
@click.option("--project", required=True, help="Project name.")
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), required=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Output file (default: stdout).")
@click.pass_obj
def export_annotations_cmd(state: CliState, project: str, fmt: str, out: Path | None) -> None:
    """Export a project's annotations in the columns 'import annotations' reads back.

    Example: annobot export annotations --project reviews-q4 --format parquet --out q4.parquet
    """
    if fmt == "parquet" and out is None:
        raise click.UsageError("--format parquet needs --out")
    n = export_annotations(state.engine(), project, fmt, out if out is not None else sys.stdout)
    if out is not None:
        click.echo(f"exported {n} annotations to {out}")
